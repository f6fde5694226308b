//go:build !linux

package broker

// diskUsedRatio is not measured outside Linux: -1 means unknown.
func diskUsedRatio(string) float64 { return -1 }
