package message

import (
	"maps"
	"testing"
)

func TestDecodeProperties(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]string
	}{
		{"", map[string]string{}},
		{"a\x01b\x02", map[string]string{"a": "b"}},
		{"a\x01b", map[string]string{"a": "b"}},
		{"\x01b\x02", map[string]string{}},
		{"a\x01\x02", map[string]string{}},
		{"a\x01b\x01c\x02", map[string]string{"a": "b\x01c"}},
		{"a\x01b\x02a\x01c\x02", map[string]string{"a": "c"}},
		{"a\x01b\x02a\x01\x02", map[string]string{"a": "b"}}, // an invalid later segment does not override
		{"ab\x02", map[string]string{}},
		{"a\x01b\x02\x02c\x01d", map[string]string{"a": "b", "c": "d"}},
		{"TAGS\x01TagA\x02KEYS\x01k1 k2\x02", map[string]string{"TAGS": "TagA", "KEYS": "k1 k2"}},
		{"\x02\x02\x02", map[string]string{}},
	}
	for _, tc := range tests {
		got := DecodeProperties(tc.in)
		if !maps.Equal(got, tc.want) {
			t.Errorf("DecodeProperties(%q) = %q, want %q", tc.in, got, tc.want)
		}
		for _, k := range []string{"a", "c", "TAGS", "KEYS", "b", "", "a\x01b"} {
			v, ok := FindProperty(tc.in, k)
			w, wok := tc.want[k]
			if v != w || ok != wok {
				t.Errorf("FindProperty(%q, %q) = %q,%v want %q,%v", tc.in, k, v, ok, w, wok)
			}
			vb, okb := FindPropertyBytes([]byte(tc.in), k)
			if string(vb) != w || okb != wok {
				t.Errorf("FindPropertyBytes(%q, %q) = %q,%v", tc.in, k, vb, okb)
			}
		}
	}
}

func TestEncodeProperties(t *testing.T) {
	tests := []struct {
		in   map[string]string
		want string
	}{
		{nil, ""},
		{map[string]string{"a": "b"}, "a\x01b\x02"},
		{map[string]string{"b": "2", "a": "1", "c": "3"}, "a\x011\x02b\x012\x02c\x013\x02"},
		{map[string]string{"a": "", "": "x", "k": "v"}, "k\x01v\x02"},
	}
	for _, tc := range tests {
		if got := EncodeProperties(tc.in); got != tc.want {
			t.Errorf("EncodeProperties(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if PropertiesLength(tc.in) != len(tc.want) {
			t.Errorf("PropertiesLength(%q) = %d", tc.in, PropertiesLength(tc.in))
		}
	}
}

func TestFindPropertyAllocs(t *testing.T) {
	props := "KEYS\x01k1\x02TAGS\x01TagA\x02UNIQ_KEY\x01ABC\x02"
	b := []byte(props)
	n := testing.AllocsPerRun(100, func() {
		if v, _ := FindProperty(props, "TAGS"); v != "TagA" {
			t.Fatal(v)
		}
		if v, _ := FindPropertyBytes(b, "UNIQ_KEY"); string(v) != "ABC" {
			t.Fatal(v)
		}
	})
	if n != 0 {
		t.Fatalf("FindProperty allocates %v times", n)
	}
}

func FuzzProperties(f *testing.F) {
	f.Add("a\x01b\x02a\x01c\x02", "a")
	f.Add("\x01\x01\x02x\x01\x01", "x")
	f.Fuzz(func(t *testing.T, s, key string) {
		m := DecodeProperties(s)
		v, ok := FindProperty(s, key)
		w, wok := m[key]
		if key != "" && (v != w || ok != wok) {
			t.Fatalf("FindProperty(%q,%q)=%q,%v; map %q,%v", s, key, v, ok, w, wok)
		}
		// Maps whose strings avoid the separators survive a round trip.
		clean := true
		for k, v := range m {
			for _, c := range []byte(k + v) {
				if c == 1 || c == 2 {
					clean = false
				}
			}
		}
		if clean && !maps.Equal(DecodeProperties(EncodeProperties(m)), m) {
			t.Fatalf("round trip of %q", m)
		}
	})
}
