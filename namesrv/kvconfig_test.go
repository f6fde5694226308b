package namesrv

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestKVStoreMemory(t *testing.T) {
	s, err := OpenKVStore("")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put("ns", "k", "v"); err != nil {
		t.Fatal(err)
	}
	if v, ok := s.Get("ns", "k"); !ok || v != "v" {
		t.Errorf("Get = %q %v", v, ok)
	}
	if _, ok := s.Get("ns", "other"); ok {
		t.Error("Get of missing key succeeded")
	}
	if err := s.Delete("ns", "k"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("ns", "k"); err != nil {
		t.Errorf("second Delete: %v", err)
	}
	if got := s.List("ns"); got != nil {
		t.Errorf("List after deleting the last key = %v, want nil", got)
	}
}

func TestKVStorePersistence(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", KVConfigFileName)

	s, err := OpenKVStore(path)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		op, ns, k, v string
	}{
		{"put", NamespaceOrderTopicConfig, "T1", "b-a:4;b-b:4"},
		{"put", NamespaceOrderTopicConfig, "T2", "b-a:8"},
		{"put", "other", "x", "1"},
		{"delete", "other", "x", ""},
		{"put", "other", "y", "ünïcode"},
	}
	for _, st := range steps {
		var err error
		if st.op == "put" {
			err = s.Put(st.ns, st.k, st.v)
		} else {
			err = s.Delete(st.ns, st.k)
		}
		if err != nil {
			t.Fatalf("%s %s/%s: %v", st.op, st.ns, st.k, err)
		}
	}
	want := map[string]map[string]string{
		NamespaceOrderTopicConfig: {"T1": "b-a:4;b-b:4", "T2": "b-a:8"},
		"other":                   {"y": "ünïcode"},
	}

	// The file has upstream's shape.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		ConfigTable map[string]map[string]string `json:"configTable"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("kvConfig.json is not valid JSON: %v\n%s", err, data)
	}
	if !reflect.DeepEqual(f.ConfigTable, want) {
		t.Errorf("file holds %v, want %v", f.ConfigTable, want)
	}

	// A new store reads it back.
	s2, err := OpenKVStore(path)
	if err != nil {
		t.Fatal(err)
	}
	for ns, kv := range want {
		if got := s2.List(ns); !reflect.DeepEqual(got, kv) {
			t.Errorf("reopened %s = %v, want %v", ns, got, kv)
		}
	}

	// With the main file gone (crash between the renames) the backup is used.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	s3, err := OpenKVStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := s3.List(NamespaceOrderTopicConfig); !reflect.DeepEqual(got, want[NamespaceOrderTopicConfig]) {
		t.Errorf("from .bak: %v", got)
	}
}

func TestKVStoreLoadErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenKVStore(bad); err == nil {
		t.Error("corrupt file without backup opened without error")
	}
	// A Java-written file (tabs, fastjson) loads.
	java := filepath.Join(dir, "java.json")
	os.WriteFile(java, []byte("{\n\t\"configTable\":{\n\t\t\"ORDER_TOPIC_CONFIG\":{\n\t\t\t\"T\":\"b:1\"\n\t\t}\n\t}\n}"), 0o644)
	s, err := OpenKVStore(java)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Get("ORDER_TOPIC_CONFIG", "T"); v != "b:1" {
		t.Errorf("Get = %q", v)
	}
	// Missing file: empty store.
	if s, err := OpenKVStore(filepath.Join(dir, "none.json")); err != nil || s.List("x") != nil {
		t.Errorf("missing file: %v", err)
	}
}
