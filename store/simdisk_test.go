package store

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/saturnmq/saturn/store/vfs"
)

// simDiskFS is the OS file system with syncs that do not touch the disk
// but block the calling thread for a fixed cost plus a cost per KiB, like
// a disk of steady latency. On a shared machine the real disk's latency
// varies by multiples from one run to the next; with this one, group
// commit benchmarks measure what the store adds to the disk.
type simDiskFS struct {
	vfs.FS
	fixed, perKiB time.Duration
}

type simDiskFile struct {
	vfs.File
	fs *simDiskFS
}

func (f simDiskFile) Sync(off, n int64) error {
	// A blocking system call, as fdatasync is: the runtime hands the P
	// on if it lasts, and the thread is parked meanwhile.
	d := f.fs.fixed + time.Duration(n>>10)*f.fs.perKiB
	ts := unix.NsecToTimespec(int64(d))
	// Without this the kernel may extend a sleep by up to 50 us (the
	// default timer slack), more than the disk it stands for.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0); err != nil {
		return err
	}
	for {
		if err := unix.Nanosleep(&ts, &ts); err != unix.EINTR {
			return err
		}
	}
}

func (fs *simDiskFS) Create(name string, size int64) (vfs.File, error) {
	f, err := fs.FS.Create(name, size)
	if err != nil {
		return nil, err
	}
	return simDiskFile{f, fs}, nil
}

func (fs *simDiskFS) Open(name string) (vfs.File, error) {
	f, err := fs.FS.Open(name)
	if err != nil {
		return nil, err
	}
	return simDiskFile{f, fs}, nil
}

// BenchmarkAppendSimDisk is BenchmarkAppend/SYNC_FLUSH on a simulated disk
// whose sync costs 75 us plus 1 us per KiB (what fdatasync measured here
// on a quiet machine: ~75 us for 1 KiB, ~130 us for 64 KiB).
func BenchmarkAppendSimDisk(b *testing.B) {
	for _, size := range []int{128, 1024} {
		for _, writers := range []int{1, 64} {
			b.Run(fmt.Sprintf("%dB/writers=%d", size, writers), func(b *testing.B) {
				fs := &simDiskFS{FS: vfs.OS{}, fixed: 75 * time.Microsecond, perKiB: time.Microsecond}
				s, err := Open(Config{Dir: b.TempDir(), FS: fs, FlushMode: SyncFlush, Logger: testLogger()})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				b.SetBytes(int64(size))
				b.ReportAllocs()
				ctx := context.Background()
				start := time.Now()
				b.SetParallelism((writers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
				var id atomic.Int64
				b.RunParallel(func(pb *testing.PB) {
					w := int(id.Add(1))
					if w > writers {
						return
					}
					putLoop(ctx, b, pb, s, size, w)
				})
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
				if st := s.Stats(); st.Syncs > 0 {
					b.ReportMetric(float64(st.Appended)/float64(st.Syncs), "msgs/sync")
				}
			})
		}
	}
}
