package vfs

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// allocated returns the bytes of disk blocks the file at name holds.
func allocated(t *testing.T, name string) int64 {
	t.Helper()
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Blocks * 512
}

// onTmpfs reports whether dir is on tmpfs, where Create keeps files sparse.
func onTmpfs(t *testing.T, dir string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return st.Type == unix.TMPFS_MAGIC
}

// TestOSCreateReservesBlocks checks that a new file's blocks are allocated
// up front and that Zero keeps them, so that writes through the mapping
// never need a block a full disk cannot give (a SIGBUS).
func TestOSCreateReservesBlocks(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "seg")
	const size = 64 * PageSize
	f, err := OS{}.Create(name, size)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// On tmpfs reserving would take the memory at once, so files stay
	// sparse there on purpose.
	want := int64(size)
	if onTmpfs(t, dir) {
		want = 0
	}
	if got := allocated(t, name); got < want {
		t.Fatalf("new file holds %d bytes of blocks, want at least %d", got, want)
	}
	copy(f.Data()[PageSize:], "payload")
	if err := f.Zero(0, 8*PageSize); err != nil {
		t.Fatal(err)
	}
	if got := allocated(t, name); got < want {
		t.Fatalf("after Zero the file holds %d bytes of blocks, want at least %d", got, want)
	}
	if string(f.Data()[PageSize:PageSize+7]) != "\x00\x00\x00\x00\x00\x00\x00" {
		t.Fatal("Zero left data behind")
	}
}

// TestFallocatedErrors checks how preallocate reads fallocate's result:
// out of space or quota is ErrNoSpace (with the errno kept), a file system
// without fallocate gets a sparse file of the right size. (Filling the real
// disk to see ENOSPC would fail every other writer on the machine.)
func TestFallocatedErrors(t *testing.T) {
	for _, tc := range []struct {
		errno      error
		noSpace    bool
		sparseSize bool
	}{
		{errno: unix.ENOSPC, noSpace: true},
		{errno: unix.EDQUOT, noSpace: true},
		{errno: unix.EOPNOTSUPP, sparseSize: true},
		{errno: unix.ENOSYS, sparseSize: true},
		{errno: unix.EIO},
	} {
		f, err := os.Create(filepath.Join(t.TempDir(), "f"))
		if err != nil {
			t.Fatal(err)
		}
		err = fallocated(f, 3*PageSize, tc.errno)
		if got := errors.Is(err, ErrNoSpace); got != tc.noSpace {
			t.Errorf("%v: ErrNoSpace %v, want %v (err %v)", tc.errno, got, tc.noSpace, err)
		}
		if tc.noSpace && !errors.Is(err, tc.errno) {
			t.Errorf("%v: the errno is lost: %v", tc.errno, err)
		}
		if tc.sparseSize {
			fi, _ := f.Stat()
			if err != nil || fi.Size() != 3*PageSize {
				t.Errorf("%v: fallback gave size %d, err %v", tc.errno, fi.Size(), err)
			}
		}
		if !tc.noSpace && !tc.sparseSize && !errors.Is(err, tc.errno) {
			t.Errorf("%v: other errors pass through, got %v", tc.errno, err)
		}
		f.Close()
	}
}

// TestOSDiskUsageCountsAvailable checks DiskUsage against statfs as df
// computes it: used plus available, not the raw block count.
func TestOSDiskUsageCountsAvailable(t *testing.T) {
	dir := t.TempDir()
	used, total, err := OS{}.DiskUsage(dir)
	if err != nil {
		t.Fatal(err)
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	bs := uint64(st.Bsize)
	if total > st.Blocks*bs || used > total {
		t.Fatalf("used %d of %d, but the volume has %d bytes", used, total, st.Blocks*bs)
	}
	if avail := total - used; avail > st.Bfree*bs {
		t.Fatalf("DiskUsage leaves %d bytes available, statfs says at most %d free", avail, st.Bfree*bs)
	}
}
