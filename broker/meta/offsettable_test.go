package meta

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func offsetsPath(t *testing.T) string {
	return filepath.Join(t.TempDir(), "config", "consumerOffset.json")
}

func openOffsets(t *testing.T, path string) *OffsetTable {
	t.Helper()
	o, err := OpenOffsetTable(path)
	if err != nil {
		t.Fatalf("OpenOffsetTable: %v", err)
	}
	return o
}

func TestOffsetTableCommitQuery(t *testing.T) {
	o := openOffsets(t, offsetsPath(t))
	if _, ok := o.Query("g", "T", 0); ok {
		t.Error("offset found in empty table")
	}
	o.Commit("g", "T", 0, 12)
	o.Commit("g", "T", 1, 40)
	o.Commit("g", "T", 1, 41)
	o.Commit("g2", "T", 0, 5)
	o.Commit("g", "U", 3, 7)
	tests := []struct {
		group, topic string
		queue        int32
		want         int64
		ok           bool
	}{
		{"g", "T", 0, 12, true},
		{"g", "T", 1, 41, true},
		{"g", "T", 2, 0, false},
		{"g2", "T", 0, 5, true},
		{"g", "U", 3, 7, true},
		{"g3", "T", 0, 0, false},
	}
	for _, tt := range tests {
		got, ok := o.Query(tt.group, tt.topic, tt.queue)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Query(%s,%s,%d) = %d %v", tt.group, tt.topic, tt.queue, got, ok)
		}
	}
	offs := o.Offsets("g", "T")
	if !reflect.DeepEqual(offs, map[int32]int64{0: 12, 1: 41}) {
		t.Errorf("Offsets = %v", offs)
	}
	offs[0] = 999 // a copy
	if v, _ := o.Query("g", "T", 0); v != 12 {
		t.Error("Offsets returned the table's own map")
	}
	if got := o.GroupsOfTopic("T"); !reflect.DeepEqual(got, []string{"g", "g2"}) {
		t.Errorf("GroupsOfTopic = %v", got)
	}
	if got := o.TopicsOfGroup("g"); !reflect.DeepEqual(got, []string{"T", "U"}) {
		t.Errorf("TopicsOfGroup = %v", got)
	}
	if !o.DeleteGroup("g") || o.DeleteGroup("g") {
		t.Error("DeleteGroup results wrong")
	}
	if o.TopicsOfGroup("g") != nil || o.GroupsOfTopic("T")[0] != "g2" {
		t.Error("DeleteGroup left entries")
	}
	if !o.DeleteTopic("T") || o.GroupsOfTopic("T") != nil {
		t.Error("DeleteTopic failed")
	}
}

func TestOffsetTablePersistFormatAndReload(t *testing.T) {
	path := offsetsPath(t)
	o := openOffsets(t, path)
	o.Commit("g", "T", 1, 40)
	o.Commit("g", "T", 0, 12)
	o.Commit("g", "%RETRY%g", 0, 0)
	if err := o.Persist(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n\t\"offsetTable\":{\n\t\t\"%RETRY%g@g\":{0:0},\n\t\t\"T@g\":{0:12,1:40}\n\t}\n}\n"
	if string(b) != want {
		t.Errorf("file:\n%s\nwant:\n%s", b, want)
	}
	re := openOffsets(t, path)
	if !reflect.DeepEqual(re.Offsets("g", "T"), map[int32]int64{0: 12, 1: 40}) || re.LoadedFrom() != path {
		t.Errorf("reloaded %v from %q", re.Offsets("g", "T"), re.LoadedFrom())
	}
}

func TestOffsetTableLoaderAcceptsBothKeyForms(t *testing.T) {
	tests := []struct{ name, file string }{
		{"unquoted", `{"offsetTable":{"T@g":{0:12,1:40},"U@h":{3:-1}}}`},
		{"quoted", `{"offsetTable":{"T@g":{"0":12,"1":40},"U@h":{"3":-1}}}`},
		{"pretty 5.x with dataVersion", "{\n\t\"dataVersion\":{\"counter\":1,\"timestamp\":2},\n\t\"offsetTable\":{\n\t\t\"T@g\":{\n\t\t\t0:12,\n\t\t\t\"1\":40\n\t\t},\n\t\t\"U@h\":{3:-1}\n\t}\n}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := offsetsPath(t)
			writeFile(t, path, tt.file)
			o := openOffsets(t, path)
			if !reflect.DeepEqual(o.Offsets("g", "T"), map[int32]int64{0: 12, 1: 40}) {
				t.Errorf("T@g = %v", o.Offsets("g", "T"))
			}
			if v, ok := o.Query("h", "U", 3); !ok || v != -1 {
				t.Errorf("U@h = %d %v", v, ok)
			}
		})
	}
}

func TestOffsetTablePersistOnlyWhenChanged(t *testing.T) {
	path := offsetsPath(t)
	o := openOffsets(t, path)
	if err := o.Persist(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("an empty, unchanged table wrote a file")
	}
	o.Commit("g", "T", 0, 1)
	if err := o.Persist(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	o.Commit("g", "T", 0, 1) // same value: no change
	if err := o.Persist(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Error("Persist wrote although nothing changed")
	}
	o.Commit("g", "T", 0, 2)
	if err := o.Persist(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("Persist after a change: %v", err)
	}
}

func TestOffsetTableBackupFallback(t *testing.T) {
	path := offsetsPath(t)
	o := openOffsets(t, path)
	o.Commit("g", "T", 0, 1)
	if err := o.Persist(); err != nil {
		t.Fatal(err)
	}
	o.Commit("g", "T", 0, 2)
	if err := o.Persist(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, `{"offsetTable":{"T@g":{0:`)
	re := openOffsets(t, path)
	if v, _ := re.Query("g", "T", 0); v != 1 || !strings.HasSuffix(re.LoadedFrom(), ".bak") {
		t.Errorf("after corruption: offset %d from %q, want 1 from .bak", v, re.LoadedFrom())
	}

	// A corrupt value with no backup to fall back to is an error, never a
	// silently empty table.
	lone := offsetsPath(t)
	writeFile(t, lone, `{"offsetTable":{"T@g":{0:"x"}}}`)
	if _, err := OpenOffsetTable(lone); err == nil {
		t.Error("corrupt file without backup loaded")
	}
}

func TestOffsetTableConcurrentCommits(t *testing.T) {
	path := offsetsPath(t)
	o := openOffsets(t, path)
	const writers, perWriter = 8, 500
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			group := "g" + string(rune('a'+w%3))
			for i := range perWriter {
				o.Commit(group, "T", int32(w), int64(i))
				o.Query(group, "T", int32(w))
				if i%100 == 0 {
					if err := o.Persist(); err != nil {
						t.Error(err)
					}
					o.GroupsOfTopic("T")
					o.Offsets(group, "T")
				}
			}
		})
	}
	wg.Wait()
	if err := o.Persist(); err != nil {
		t.Fatal(err)
	}
	re := openOffsets(t, path)
	for w := range writers {
		group := "g" + string(rune('a'+w%3))
		if v, ok := re.Query(group, "T", int32(w)); !ok || v != perWriter-1 {
			t.Errorf("writer %d: reloaded %d %v", w, v, ok)
		}
	}
}

func TestOffsetCommitDoesNotAllocate(t *testing.T) {
	o := openOffsets(t, offsetsPath(t))
	o.Commit("g", "T", 0, 0)
	var i int64
	allocs := testing.AllocsPerRun(100, func() {
		i++
		o.Commit("g", "T", 0, i)
	})
	if allocs != 0 {
		t.Errorf("Commit allocates %.1f times", allocs)
	}
}

func BenchmarkOffsetCommit(b *testing.B) {
	o, err := OpenOffsetTable(filepath.Join(b.TempDir(), "consumerOffset.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var i int64
	for b.Loop() {
		i++
		o.Commit("group", "topic", int32(i&7), i)
	}
}
