package loadgen

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// clockTicks is Linux's USER_HZ, the unit of utime and stime in
// /proc/<pid>/stat. It is 100 on every architecture Linux exposes to user
// space (the kernel converts from its internal HZ).
const clockTicks = 100

// ProcessCPU returns the CPU time (user plus system) process pid has used so
// far, from /proc/<pid>/stat (Linux only).
func ProcessCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("process cpu: %w", err)
	}
	return parseProcStat(b)
}

// parseProcStat extracts utime+stime from the text of /proc/<pid>/stat. The
// command name (field 2) is in parentheses and may contain spaces, so fields
// are counted from the last ')'.
func parseProcStat(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("process cpu: malformed stat")
	}
	// After ")": field 3 (state) is index 0, so utime (14) is index 11
	// and stime (15) index 12.
	f := bytes.Fields(b[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("process cpu: stat has %d fields after the name", len(f))
	}
	var ticks int64
	for _, s := range f[11:13] {
		v, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("process cpu: %w", err)
		}
		ticks += v
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// CPUUsage is the CPU a process (the broker, or the load tool itself) spent
// during a run.
type CPUUsage struct {
	PID     int     `json:"pid"`
	Seconds float64 `json:"cpu_s"`
	// Messages is what the CPU is divided by: the messages that went
	// through the broker (produced, or consumed when nothing was produced).
	Messages int64 `json:"messages"`
	// MicrosPerMessage is Seconds per message, in microseconds.
	MicrosPerMessage float64 `json:"us_per_message"`
	// Cores is Seconds divided by the wall time.
	Cores float64 `json:"cores"`
}

// NewCPUUsage computes a CPUUsage from CPU time used over wall time by
// messages.
func NewCPUUsage(pid int, cpu, wall time.Duration, messages int64) *CPUUsage {
	u := &CPUUsage{PID: pid, Seconds: cpu.Seconds(), Messages: messages}
	if messages > 0 {
		u.MicrosPerMessage = float64(cpu.Microseconds()) / float64(messages)
	}
	if wall > 0 {
		u.Cores = cpu.Seconds() / wall.Seconds()
	}
	return u
}

// Messages returns how many messages passed the broker in r: acknowledged
// sends (warm-up included), or receipts when nothing was sent.
func (r *Result) Messages() int64 {
	if r.Send != nil {
		return r.Send.Messages + r.Send.Warmup
	}
	if r.Receive != nil {
		return r.Receive.Messages
	}
	return 0
}
