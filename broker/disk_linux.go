package broker

import "syscall"

// diskUsedRatio returns the used fraction (0..1) of the file system holding
// dir, or -1 when it cannot be read.
func diskUsedRatio(dir string) float64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil || st.Blocks == 0 {
		return -1
	}
	return float64(st.Blocks-st.Bfree) / float64(st.Blocks)
}
