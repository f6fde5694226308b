package main

import (
	"bytes"
	"os"
	"strconv"
	"time"

	"github.com/saturnmq/saturn/loadgen"
)

// treeCPU returns the CPU time used so far by pid and all its descendants
// (a broker started through a wrapper script, such as RabbitMQ's, does its
// work in a child process). Processes that end between two samples are not
// counted: brokers keep their processes for the whole run.
func treeCPU(pid int) (time.Duration, error) {
	total, err := loadgen.ProcessCPU(pid)
	if err != nil {
		return 0, err
	}
	children := map[int][]int{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return total, nil
	}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pp, ok := parentPID(p); ok {
			children[pp] = append(children[pp], p)
		}
	}
	queue := children[pid]
	for len(queue) > 0 {
		p := queue[0]
		queue = append(queue[1:], children[p]...)
		if d, err := loadgen.ProcessCPU(p); err == nil {
			total += d
		}
	}
	return total, nil
}

// parentPID reads the parent of pid from /proc/<pid>/stat (field 4, the
// second after the parenthesised command name).
func parentPID(pid int) (int, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 2 {
		return 0, false
	}
	pp, err := strconv.Atoi(string(f[1]))
	return pp, err == nil
}
