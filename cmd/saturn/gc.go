package main

import (
	"fmt"
	"runtime/debug"
)

// defaultGCPercent is the garbage collector's target (GOGC) that saturn
// runs with unless --gc-percent or the GOGC environment variable says
// otherwise. A broker's live heap is small (~17 MB serving one producer
// and one consumer) while it allocates a few KiB per message, so with Go's
// default of 100 it collected about once a second at 5,000 messages/s,
// and each mark phase took one of two cores for 3–6 ms: messages arriving
// then waited, which showed in the latency tail (end-to-end p99 at 5,000
// msg/s, broker and load tool at 100: 2.1, 3.0 and 2.6 ms; both at 400:
// 1.9, 1.4 and 1.5 ms, interleaved runs). The heap may grow to five times
// the live data instead of twice.
const defaultGCPercent = 400

// gcPercent decides the GC target: the flag when it was given, else GOGC
// when set (the runtime already applied it), else defaultGCPercent. It
// returns the value to pass to debug.SetGCPercent and whether to call it.
func gcPercent(flag int, flagSet bool, gogc string) (int, bool) {
	switch {
	case flagSet:
		return flag, true
	case gogc != "":
		return 0, false
	}
	return defaultGCPercent, true
}

// applyGCPercent sets the GC target decided by gcPercent.
func applyGCPercent(flag int, flagSet bool, gogc string) error {
	if flagSet && flag < 0 && flag != -1 {
		return fmt.Errorf("--gc-percent %d: want a percentage of 0 or more, or -1 to turn the collector off", flag)
	}
	if p, ok := gcPercent(flag, flagSet, gogc); ok {
		debug.SetGCPercent(p)
	}
	return nil
}
