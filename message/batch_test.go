package message

import (
	"bytes"
	"errors"
	"testing"
)

func TestEncodeBatchLayout(t *testing.T) {
	msgs := []*Message{
		{Topic: "T", Flag: 7, Body: []byte("ab"), Properties: map[string]string{"KEYS": "k1"}},
		{Flag: -1, Body: nil},
	}
	want := unhexT(t, `00000020 00000000 00000000 00000007 00000002 6162 0008 4B455953016B3102
		00000016 00000000 00000000 FFFFFFFF 00000000 0000`)
	got, err := EncodeBatch(msgs)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("EncodeBatch = %X, %v\nwant %X", got, err, want)
	}
	items, err := DecodeBatch(got)
	if err != nil || len(items) != 2 {
		t.Fatalf("DecodeBatch: %v, %v", items, err)
	}
	if items[0].Flag != 7 || string(items[0].Body) != "ab" || string(items[0].Properties) != "KEYS\x01k1\x02" {
		t.Fatalf("item 0 = %+v", items[0])
	}
	if items[1].Flag != -1 || len(items[1].Body) != 0 || len(items[1].Properties) != 0 {
		t.Fatalf("item 1 = %+v", items[1])
	}
}

func TestDecodeBatchErrors(t *testing.T) {
	good := unhexT(t, `00000020 00000000 00000000 00000007 00000002 6162 0008 4B455953016B3102`)
	mut := func(f func([]byte) []byte) []byte { return f(append([]byte{}, good...)) }
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"short header", good[:21]},
		{"cut", good[:len(good)-1]},
		{"total too small", mut(func(b []byte) []byte { b[3] = 21; return b })},
		{"total negative", mut(func(b []byte) []byte { b[0] = 0x80; return b })},
		{"total larger", mut(func(b []byte) []byte { b[3]++; return append(b, 0) })},
		{"body too long", mut(func(b []byte) []byte { b[19] = 0x20; return b })},
		{"negative body", mut(func(b []byte) []byte { b[16] = 0xFF; return b })},
		{"props length wrong", mut(func(b []byte) []byte { b[23] = 9; return b })},
		{"negative props", mut(func(b []byte) []byte { b[22] = 0x80; return b })},
		{"trailing garbage", append(append([]byte{}, good...), 1, 2, 3)},
	}
	for _, tc := range tests {
		if _, err := DecodeBatch(tc.b); !errors.Is(err, ErrMalformedBatch) {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
}

func FuzzDecodeBatch(f *testing.F) {
	b, _ := EncodeBatch([]*Message{
		{Flag: 7, Body: []byte("ab"), Properties: map[string]string{"KEYS": "k1"}},
		{Body: []byte("c")},
	})
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		items, err := DecodeBatch(b)
		if err != nil {
			return
		}
		msgs := make([]*Message, len(items))
		total := 0
		for i, it := range items {
			total += 22 + len(it.Body) + len(it.Properties)
			msgs[i] = &Message{Flag: it.Flag, Body: it.Body}
		}
		if total != len(b) {
			t.Fatalf("items cover %d of %d bytes", total, len(b))
		}
		// Bodies and flags survive re-encoding.
		out, err := EncodeBatch(msgs)
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeBatch(out)
		if err != nil || len(again) != len(items) {
			t.Fatalf("re-decode: %v", err)
		}
		for i := range again {
			if again[i].Flag != items[i].Flag || !bytes.Equal(again[i].Body, items[i].Body) {
				t.Fatalf("item %d differs", i)
			}
		}
	})
}

// TestAppendBatchItems checks that items are appended after dst's, into
// dst's memory when it has room, and that an error returns nil.
func TestAppendBatchItems(t *testing.T) {
	body, err := EncodeBatch([]*Message{{Flag: 1, Body: []byte("x")}, {Flag: 2, Body: []byte("yz")}})
	if err != nil {
		t.Fatal(err)
	}
	var room [4]BatchItem
	dst := append(room[:0], BatchItem{Flag: 9})
	got, err := AppendBatchItems(dst, body)
	if err != nil || len(got) != 3 || &got[0] != &room[0] {
		t.Fatalf("AppendBatchItems: %d items, %v; want 3 in the given memory", len(got), err)
	}
	if got[0].Flag != 9 || got[1].Flag != 1 || string(got[1].Body) != "x" || got[2].Flag != 2 || string(got[2].Body) != "yz" {
		t.Fatalf("items %+v", got)
	}
	if got, err := AppendBatchItems(dst, body[:len(body)-1]); got != nil || !errors.Is(err, ErrMalformedBatch) {
		t.Fatalf("truncated: %v, %v; want nil, ErrMalformedBatch", got, err)
	}
}
