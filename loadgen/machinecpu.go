package loadgen

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
)

// MachineTicks is the machine-wide CPU time from the first line of
// /proc/stat, summed over all CPUs, in USER_HZ ticks (Linux only).
type MachineTicks struct {
	// Busy is user, nice, system, irq and softirq time.
	Busy int64
	// Idle is idle and iowait time.
	Idle int64
	// Steal is time the hypervisor ran something else while this
	// machine's virtual CPUs had work: on a shared VM it is CPU a run
	// wanted and did not get.
	Steal int64
}

// ReadMachineTicks reads the machine's CPU time so far from /proc/stat.
func ReadMachineTicks() (MachineTicks, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return MachineTicks{}, fmt.Errorf("machine cpu: %w", err)
	}
	return parseMachineTicks(b)
}

// parseMachineTicks extracts the aggregate "cpu" line of /proc/stat:
// user nice system idle iowait irq softirq steal [guest guest_nice]. Guest
// time is already counted in user and nice, so it is not added again.
// Kernels older than 2.6.11 have no steal field; it then counts as zero.
func parseMachineTicks(b []byte) (MachineTicks, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) == 0 || string(f[0]) != "cpu" {
			continue
		}
		if len(f) < 8 {
			return MachineTicks{}, fmt.Errorf("machine cpu: /proc/stat cpu line has %d fields, want at least 8", len(f))
		}
		var v [8]int64
		for i := range v {
			if i+1 >= len(f) {
				break
			}
			n, err := strconv.ParseInt(string(f[i+1]), 10, 64)
			if err != nil {
				return MachineTicks{}, fmt.Errorf("machine cpu: field %d of /proc/stat cpu line: %w", i+1, err)
			}
			v[i] = n
		}
		return MachineTicks{
			Busy:  v[0] + v[1] + v[2] + v[5] + v[6],
			Idle:  v[3] + v[4],
			Steal: v[7],
		}, nil
	}
	return MachineTicks{}, fmt.Errorf("machine cpu: no aggregate cpu line in /proc/stat")
}

// MachineUsage is how the whole machine's CPU time was spent during a
// run, as percentages of all CPUs' time: a run on a shared virtual
// machine whose host took much of it (StealPct) measured the host as
// much as the broker.
type MachineUsage struct {
	CPUs     int     `json:"cpus"`
	BusyPct  float64 `json:"busy_pct"`
	IdlePct  float64 `json:"idle_pct"`
	StealPct float64 `json:"steal_pct"`
}

// NewMachineUsage computes the split between two samples; nil when no
// time passed between them.
func NewMachineUsage(before, after MachineTicks) *MachineUsage {
	busy, idle, steal := after.Busy-before.Busy, after.Idle-before.Idle, after.Steal-before.Steal
	total := busy + idle + steal
	if total <= 0 {
		return nil
	}
	pct := func(n int64) float64 { return 100 * float64(n) / float64(total) }
	return &MachineUsage{CPUs: runtime.NumCPU(), BusyPct: pct(busy), IdlePct: pct(idle), StealPct: pct(steal)}
}
