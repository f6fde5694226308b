package vfs

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
)

// exercise runs the same checks against any FS.
func exercise(t *testing.T, fs FS, dir string) {
	if err := fs.MkdirAll(filepath.Join(dir, "sub")); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "sub", "f1")
	f, err := fs.Create(name, 3*PageSize)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Create(name, 10); !errors.Is(err, ErrExist) {
		t.Fatalf("second Create: %v", err)
	}
	if f.Size() != 3*PageSize || len(f.Data()) != 3*PageSize || !bytes.Equal(f.Data(), make([]byte, 3*PageSize)) {
		t.Fatal("new file is not zeroed to its size")
	}
	copy(f.Data()[100:], "hello")
	copy(f.Data()[2*PageSize:], "world")
	if err := f.Sync(0, f.Size()); err != nil {
		t.Fatal(err)
	}
	if err := f.Zero(2*PageSize, PageSize); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(0, f.Size()); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fs.SyncDir(filepath.Join(dir, "sub")); err != nil {
		t.Fatal(err)
	}
	g, err := fs.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	if string(g.Data()[100:105]) != "hello" || g.Data()[2*PageSize] != 0 {
		t.Fatal("contents not kept")
	}
	g.Close()
	if names, _ := fs.List(filepath.Join(dir, "sub")); !slices.Equal(names, []string{"f1"}) {
		t.Fatalf("List = %v", names)
	}
	if names, err := fs.List(filepath.Join(dir, "missing")); err != nil || len(names) != 0 {
		t.Fatalf("List of a missing dir = %v, %v", names, err)
	}
	if !fs.Exists(name) || fs.Exists(name+"x") {
		t.Fatal("Exists")
	}
	l, err := fs.Lock(filepath.Join(dir, "lock"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Lock(filepath.Join(dir, "lock")); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Lock: %v", err)
	}
	l.Close()
	if used, total, err := fs.DiskUsage(dir); err != nil || total == 0 || used > total {
		t.Fatalf("DiskUsage = %d/%d, %v", used, total, err)
	}
	if err := fs.Remove(name); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Open(name); !errors.Is(err, ErrNotExist) {
		t.Fatalf("Open after Remove: %v", err)
	}
	if err := fs.RemoveAll(filepath.Join(dir, "sub")); err != nil {
		t.Fatal(err)
	}
}

func TestOS(t *testing.T)    { exercise(t, OS{}, t.TempDir()) }
func TestMemFS(t *testing.T) { exercise(t, NewMemFS(), "/root") }

func TestMemFSCrash(t *testing.T) {
	m := NewMemFS()
	m.MkdirAll("/d")
	synced, _ := m.Create("/d/synced", 2*PageSize)
	m.SyncDir("/d")
	unsyncedName, _ := m.Create("/d/new", PageSize)
	copy(synced.Data(), "durable")
	synced.Sync(0, 7)
	copy(synced.Data()[PageSize:], "volatile")
	copy(unsyncedName.Data(), "x")

	p := m.Crash(ProcessCrash, nil)
	f, err := p.Open("/d/synced")
	if err != nil || string(f.Data()[PageSize:PageSize+8]) != "volatile" || !p.Exists("/d/new") {
		t.Fatal("a process crash must keep everything written")
	}
	pl := m.Crash(PowerLoss, nil)
	f, err = pl.Open("/d/synced")
	if err != nil || string(f.Data()[:7]) != "durable" || f.Data()[PageSize] != 0 {
		t.Fatal("a power loss must keep exactly what was synced")
	}
	if pl.Exists("/d/new") {
		t.Fatal("a file whose directory was not synced survived a power loss")
	}
	// With write-back, each unsynced page either made it or not.
	seen := map[bool]bool{}
	for seed := range uint64(20) {
		w := m.Crash(PowerLossWriteback, rand.New(rand.NewPCG(seed, 1)))
		f, _ := w.Open("/d/synced")
		seen[string(f.Data()[PageSize:PageSize+8]) == "volatile"] = true
		if string(f.Data()[:7]) != "durable" {
			t.Fatal("synced data lost")
		}
	}
	if !seen[true] || !seen[false] {
		t.Fatalf("write-back never varied: %v", seen)
	}
	boom := errors.New("boom")
	m.SetFault(func(op Op, name string) error {
		if op == OpSync {
			return boom
		}
		return nil
	})
	if err := synced.Sync(0, 1); !errors.Is(err, boom) {
		t.Fatalf("injected fault: %v", err)
	}
}
