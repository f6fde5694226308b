package namesrv

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"sync"

	"github.com/saturnmq/saturn/fastjson"
)

// KVStore holds the name server's KV config: namespace → key → value. When
// it has a file, every change is written through to it in upstream's
// kvConfig.json shape, {"configTable":{namespace:{key:value}}}.
type KVStore struct {
	path string // "" = memory only

	mu    sync.RWMutex
	table map[string]map[string]string // invariant: no empty namespace maps
}

type kvFile struct {
	ConfigTable map[string]map[string]string `json:"configTable"`
}

// OpenKVStore returns a store backed by path, loading it if it exists (or,
// if it is missing or unreadable, its ".bak" copy, which every write leaves
// behind). An empty path gives a store that lives in memory only.
func OpenKVStore(path string) (*KVStore, error) {
	s := &KVStore{path: path, table: map[string]map[string]string{}}
	if path == "" {
		return s, nil
	}
	err := s.load(path)
	if err == nil {
		return s, nil
	}
	if errBak := s.load(path + ".bak"); errBak == nil {
		return s, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	return nil, err
}

func (s *KVStore) load(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("kv config: %w", err)
	}
	var f kvFile
	if err := fastjson.Unmarshal(data, &f); err != nil {
		return fmt.Errorf("kv config %s: %w", path, err)
	}
	table := map[string]map[string]string{}
	for ns, kv := range f.ConfigTable {
		if len(kv) > 0 {
			table[ns] = kv
		}
	}
	s.table = table
	return nil
}

// Put sets a value. The in-memory change stands even if persisting fails.
func (s *KVStore) Put(namespace, key, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.table[namespace]
	if m == nil {
		m = map[string]string{}
		s.table[namespace] = m
	}
	m[key] = value
	return s.persistLocked()
}

// Get returns a value and whether it exists.
func (s *KVStore) Get(namespace, key string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.table[namespace][key]
	return v, ok
}

// Delete removes a value; deleting a missing one is not an error.
func (s *KVStore) Delete(namespace, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.table[namespace]
	if _, ok := m[key]; !ok {
		return nil
	}
	delete(m, key)
	if len(m) == 0 {
		delete(s.table, namespace)
	}
	return s.persistLocked()
}

// List returns a copy of a namespace's entries, nil if it has none.
func (s *KVStore) List(namespace string) map[string]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return maps.Clone(s.table[namespace])
}

// persistLocked writes the table to a temporary file and renames it into
// place, keeping the previous file as ".bak", so that a crash leaves either
// the old or the new content readable.
func (s *KVStore) persistLocked() error {
	if s.path == "" {
		return nil
	}
	data, err := json.MarshalIndent(kvFile{ConfigTable: s.table}, "", "\t")
	if err != nil {
		return fmt.Errorf("kv config: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return fmt.Errorf("kv config: %w", err)
	}
	tmp := s.path + ".tmp"
	if err := writeFileSync(tmp, data); err != nil {
		return fmt.Errorf("kv config: %w", err)
	}
	if err := os.Rename(s.path, s.path+".bak"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("kv config: %w", err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("kv config: %w", err)
	}
	return nil
}

func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
