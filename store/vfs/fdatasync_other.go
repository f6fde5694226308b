//go:build !linux

package vfs

import (
	"errors"
	"os"
)

func fdatasync(f *os.File) error { return f.Sync() }

func zeroRange(*os.File, int64, int64) error { return errors.New("vfs: no hole punching") }

// preallocate only truncates: without fallocate the file stays sparse.
func preallocate(f *os.File, size int64) error { return f.Truncate(size) }

func populate([]byte) error { return nil }
