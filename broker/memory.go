package broker

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// fallbackMemory is assumed when the physical memory size cannot be read.
const fallbackMemory = 8 << 30

// physicalMemory returns the host's physical memory in bytes, read from
// /proc/meminfo on Linux and assumed to be 8 GiB elsewhere. It only decides
// whether a queue's first message still counts as cached (see
// Broker.firstMessageCached), so an estimate is enough.
func physicalMemory() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return fallbackMemory
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			break
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil || kb <= 0 {
			break
		}
		return kb << 10
	}
	return fallbackMemory
}
