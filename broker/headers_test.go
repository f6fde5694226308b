package broker

import (
	"testing"
)

// TestExtReaderAlternatives checks that a field is found under its long or
// short name, the long name winning when both are there, whatever mix of key
// lengths the header has.
func TestExtReaderAlternatives(t *testing.T) {
	tests := []struct {
		name string
		ext  map[string]string
		want string
		has  bool
	}{
		{"long only", map[string]string{"topic": "L", "queueId": "1"}, "L", true},
		{"short only", map[string]string{"b": "S", "e": "1"}, "S", true},
		{"both, long wins", map[string]string{"b": "S", "topic": "L"}, "L", true},
		{"short among long keys", map[string]string{"b": "S", "queueId": "1"}, "S", true},
		{"long among short keys", map[string]string{"topic": "L", "e": "1"}, "L", true},
		{"absent", map[string]string{"e": "1", "queueId": "1"}, "", false},
		{"empty key only", map[string]string{"": "x"}, "", false},
		{"nil", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := extReader{ext: tt.ext}
			if got := r.str("topic", "b"); got != tt.want {
				t.Errorf("str = %q, want %q", got, tt.want)
			}
			if got := r.has("topic", "b"); got != tt.has {
				t.Errorf("has = %v, want %v", got, tt.has)
			}
		})
	}
}

func BenchmarkParseSendHeader(b *testing.B) {
	for _, tt := range []struct {
		name string
		ext  map[string]string
	}{
		{"V1", sendExt("Bench", 3, map[string]string{"TAGS": "t", "UNIQ_KEY": "0A0000010000000000000000000000FF"})},
		{"V2", sendV2Ext("Bench", 3, map[string]string{"TAGS": "t", "UNIQ_KEY": "0A0000010000000000000000000000FF"}, false)},
	} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := parseSendHeader(tt.ext); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
