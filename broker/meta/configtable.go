package meta

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/saturnmq/saturn/fastjson"
)

// persistedFile writes a table's file when the table changed since the last
// successful write. A change sets dirty; persist clears it before it takes
// the snapshot, so a change racing with the snapshot sets it again and is
// written by the next persist, and a failed write sets it again too. mu
// serializes writes so that the last write carries the newest state.
type persistedFile struct {
	path  string
	what  string // names the table in errors: "topic table"
	dirty atomic.Bool
	mu    sync.Mutex
}

// persist writes snapshot() to the file if the table is dirty.
func (f *persistedFile) persist(snapshot func() []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.dirty.Swap(false) {
		return nil // unchanged, or a concurrent write already carried the change
	}
	if err := writeFileAtomic(f.path, snapshot()); err != nil {
		f.dirty.Store(true)
		return fmt.Errorf("%s: %w", f.what, err)
	}
	return nil
}

// configTable is what TopicTable and GroupTable share: configs by name and
// the data version of the set, persisted as one indented JSON document that
// is written before every changing method returns.
//
// Invariant: items[name] is the config of that name (the decoders and the
// tables' Put keep it), so items in key order are items in name order.
type configTable[C any] struct {
	file       persistedFile
	loadedFrom string

	mu      sync.RWMutex
	items   map[string]C // guarded by mu; values are never modified in place
	version DataVersion  // guarded by mu

	// appendLocked appends the whole document, compact; mu is held.
	appendLocked func(b []byte) []byte
}

// init prepares an empty table; what names it in errors.
func (t *configTable[C]) init(path, what string, appendLocked func([]byte) []byte) {
	t.file.path, t.file.what = path, what
	t.items = make(map[string]C)
	t.version = NewDataVersion()
	t.appendLocked = appendLocked
}

// load fills the table from its file or the file's backup (see
// loadJSONFile) with decode.
func (t *configTable[C]) load(decode func([]byte) error) error {
	from, err := loadJSONFile(t.file.path, decode)
	if err != nil {
		return fmt.Errorf("%s: %w", t.file.what, err)
	}
	t.loadedFrom = from
	return nil
}

func (t *configTable[C]) get(name string) (C, bool) {
	t.mu.RLock()
	c, ok := t.items[name]
	t.mu.RUnlock()
	return c, ok
}

// put stores c, which the caller validated and cloned, and persists.
func (t *configTable[C]) put(name string, c C) error {
	t.mu.Lock()
	t.items[name] = c
	t.changedLocked()
	t.mu.Unlock()
	return t.persist()
}

// addIfAbsent stores c, which the caller validated and cloned, unless a
// config of that name exists. It returns the config stored under name and
// whether that is c; the caller persists when it is.
func (t *configTable[C]) addIfAbsent(name string, c C) (C, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.items[name]; ok {
		return old, false
	}
	t.items[name] = c
	t.changedLocked()
	return c, true
}

// delete removes a config and persists; it reports whether it existed.
func (t *configTable[C]) delete(name string) (bool, error) {
	t.mu.Lock()
	_, ok := t.items[name]
	if ok {
		delete(t.items, name)
		t.changedLocked()
	}
	t.mu.Unlock()
	if !ok {
		return false, nil
	}
	return true, t.persist()
}

// all returns every config, sorted by name.
func (t *configTable[C]) all() []C {
	t.mu.RLock()
	defer t.mu.RUnlock()
	all := make([]C, 0, len(t.items))
	for _, name := range slices.Sorted(maps.Keys(t.items)) {
		all = append(all, t.items[name])
	}
	return all
}

func (t *configTable[C]) dataVersion() DataVersion {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.version
}

// changedLocked records a change; t.mu must be held for writing.
func (t *configTable[C]) changedLocked() {
	t.version = t.version.Next()
	t.file.dirty.Store(true)
}

// appendItemsLocked appends {"<name>":<config>,…}, names sorted, each
// config written by appendItem; t.mu must be held.
func (t *configTable[C]) appendItemsLocked(b []byte, appendItem func([]byte, C) []byte) []byte {
	b = append(b, '{')
	for i, name := range slices.Sorted(maps.Keys(t.items)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = fastjson.AppendString(b, name)
		b = append(b, ':')
		b = appendItem(b, t.items[name])
	}
	return append(b, '}')
}

// persist writes the table if it changed since the last successful write.
func (t *configTable[C]) persist() error {
	return t.file.persist(func() []byte {
		t.mu.RLock()
		compact := t.appendLocked(nil)
		t.mu.RUnlock()
		return indentTabs(compact)
	})
}

// indentTabs pretty-prints valid JSON with tabs, as upstream's config files
// are; it returns b unchanged if it is not valid JSON.
func indentTabs(b []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(b) + len(b)/4)
	if err := json.Indent(&buf, b, "", "\t"); err != nil {
		return b
	}
	buf.WriteByte('\n')
	return buf.Bytes()
}
