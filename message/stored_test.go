package message

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// unhexT decodes hex written with spaces for readability.
func unhexT(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sampleExt() *Ext {
	return &Ext{
		QueueID:         1,
		Flag:            2,
		QueueOffset:     3,
		CommitLogOffset: 0x100,
		BornTimestamp:   1000,
		BornHost:        netip.MustParseAddrPort("10.0.0.1:5000"),
		StoreTimestamp:  2000,
		StoreHost:       netip.MustParseAddrPort("10.0.0.2:10911"),
		Body:            []byte("hi"),
		Topic:           "T",
		Properties:      map[string]string{"TAGS": "a"},
	}
}

// Layouts written by hand from the fact sheet's table of the stored record.
var storedLayouts = []struct {
	name  string
	mod   func(*Ext)
	hex   string
	stamp int // position of STORETIMESTAMP
}{
	{
		name: "ipv4",
		mod:  func(*Ext) {},
		hex: `00000065 DAA320A7 58932AAC 00000001 00000002 0000000000000003 0000000000000100
			00000000 00000000000003E8 0A000001 00001388 00000000000007D0 0A000002 00002A9F
			00000000 0000000000000000 00000002 6869 01 54 0007 54414753016102`,
		stamp: 56,
	},
	{
		name: "ipv6 born host",
		mod:  func(m *Ext) { m.BornHost = netip.MustParseAddrPort("[::1]:1") },
		hex: `00000071 DAA320A7 58932AAC 00000001 00000002 0000000000000003 0000000000000100
			00000010 00000000000003E8 00000000000000000000000000000001 00000001
			00000000000007D0 0A000002 00002A9F
			00000000 0000000000000000 00000002 6869 01 54 0007 54414753016102`,
		stamp: 68,
	},
	{
		name: "ipv6 store host, transaction commit, raw properties win",
		mod: func(m *Ext) {
			m.StoreHost = netip.MustParseAddrPort("[fe80::2]:10911")
			m.SysFlag = TransactionCommitType | SysFlagBornHostV6 // stale v6 bit is corrected
			m.ReconsumeTimes = 5
			m.PreparedTransactionOffset = 0x42
			m.RawProperties = "TAGS\x01a\x02"
			m.Properties = map[string]string{"ignored": "x"}
		},
		hex: `00000071 DAA320A7 58932AAC 00000001 00000002 0000000000000003 0000000000000100
			00000028 00000000000003E8 0A000001 00001388
			00000000000007D0 FE800000000000000000000000000002 00002A9F
			00000005 0000000000000042 00000002 6869 01 54 0007 54414753016102`,
		stamp: 56,
	},
	{
		name: "v2 for a 128-byte topic",
		mod:  func(m *Ext) { m.Topic = strings.Repeat("a", 128); m.Properties = nil },
		hex: `000000DE DAA320AB 58932AAC 00000001 00000002 0000000000000003 0000000000000100
			00000000 00000000000003E8 0A000001 00001388 00000000000007D0 0A000002 00002A9F
			00000000 0000000000000000 00000002 6869 0080 ` + strings.Repeat("61", 128) + ` 0000`,
		stamp: 56,
	},
}

func TestAppendStoredLayout(t *testing.T) {
	for _, tc := range storedLayouts {
		t.Run(tc.name, func(t *testing.T) {
			m := sampleExt()
			tc.mod(m)
			want := unhexT(t, tc.hex)
			got, err := AppendStored([]byte("prefix"), m)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(got, []byte("prefix")) || !bytes.Equal(got[6:], want) {
				t.Fatalf("encoding\n got %X\nwant %X", got[6:], want)
			}
			got = got[6:]
			if int(m.StoreSize) != len(want) || m.BodyCRC != 0x58932AAC {
				t.Fatalf("StoreSize %d BodyCRC %#x not filled in", m.StoreSize, m.BodyCRC)
			}
			if n, err := StoredSize(m); err != nil || n != len(want) {
				t.Fatalf("StoredSize = %d, %v", n, err)
			}
			if StoreTimestampOffset(m.SysFlag) != tc.stamp {
				t.Fatalf("StoreTimestampOffset = %d, want %d", StoreTimestampOffset(m.SysFlag), tc.stamp)
			}
			// Patching in place, as the store does under its lock.
			PutQueueOffset(got, 77)
			PutPhysicalOffset(got, 88)
			PutStoreTimestamp(got, 99)
			d, n, err := DecodeStored(got)
			if err != nil || n != len(want) {
				t.Fatalf("DecodeStored: n=%d err=%v", n, err)
			}
			if d.QueueOffset != 77 || d.CommitLogOffset != 88 || d.StoreTimestamp != 99 {
				t.Fatalf("patched fields: %+v", d)
			}
			if d.Topic != m.Topic || !bytes.Equal(d.Body, m.Body) || d.BornHost != m.BornHost || d.StoreHost != m.StoreHost {
				t.Fatalf("decoded %+v", d)
			}
			if _, err := VerifyStored(got); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestStoredRoundTrip(t *testing.T) {
	m := &Ext{
		QueueID: 7, Flag: -1, QueueOffset: 1 << 40, CommitLogOffset: 1<<62 + 5,
		SysFlag: SysFlagCompressed | TransactionPreparedType, BornTimestamp: -3,
		BornHost:       netip.MustParseAddrPort("[2001:db8::1]:65535"),
		StoreTimestamp: 1 << 50, StoreHost: netip.MustParseAddrPort("127.0.0.1:0"),
		ReconsumeTimes: 16, PreparedTransactionOffset: 99,
		Body:  bytes.Repeat([]byte{0xAB}, 1000),
		Topic: "%RETRY%group",
		Properties: map[string]string{
			PropertyKeys: "k1 k2", PropertyTags: "TagA", PropertyUniqClientMessageIDKeyIdx: "ABC",
		},
	}
	b, err := AppendStored(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	d, n, err := DecodeStored(b)
	if err != nil || n != len(b) {
		t.Fatalf("n=%d err=%v", n, err)
	}
	m.RawProperties = EncodeProperties(m.Properties)
	if !reflect.DeepEqual(d, m) {
		t.Fatalf("round trip\n got %+v\nwant %+v", d, m)
	}
	if d.MsgID() != "ABC" || d.Tags() != "TagA" || !reflect.DeepEqual(d.Keys(), []string{"k1", "k2"}) {
		t.Fatalf("helpers: %q %q %q", d.MsgID(), d.Tags(), d.Keys())
	}
	var v View
	if _, err := v.Parse(b); err != nil || v.TagsCode() != TagsCode("TagA") {
		t.Fatalf("view tags code %d, %v", v.TagsCode(), err)
	}
	// Two records back to back decode as a pull body.
	all, err := DecodeAll(append(append([]byte{}, b...), b...))
	if err != nil || len(all) != 2 {
		t.Fatalf("DecodeAll: %d, %v", len(all), err)
	}
}

func TestDecodeStoredErrors(t *testing.T) {
	good, err := AppendStored(nil, sampleExt())
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(b []byte) []byte) []byte {
		return f(append([]byte{}, good...))
	}
	tests := []struct {
		name string
		b    []byte
		want error
		n    int
	}{
		{"empty", nil, ErrShortBuffer, 0},
		{"seven bytes", good[:7], ErrShortBuffer, 0},
		{"cut record", good[:len(good)-1], ErrShortBuffer, 0},
		{"bad magic", mutate(func(b []byte) []byte { b[4] = 0; return b }), ErrBadMagic, 0},
		{"zeros", make([]byte, 200), ErrBadMagic, 0},
		{"blank", unhexT(t, "00001000 CBD43194"), ErrBlank, 0x1000},
		{"size too small", mutate(func(b []byte) []byte { b[3] = 90; return b }), ErrSizeMismatch, 0},
		{"size larger than fields", mutate(func(b []byte) []byte { b[3]++; return append(b, 0) }), ErrSizeMismatch, 0},
		{"body length too large", mutate(func(b []byte) []byte { b[87] = 0xFF; return b }), ErrSizeMismatch, 0},
		{"negative body length", mutate(func(b []byte) []byte { b[84] = 0x80; return b }), ErrSizeMismatch, 0},
		{"topic length too large", mutate(func(b []byte) []byte { b[90] = 0x7F; return b }), ErrSizeMismatch, 0},
		{"properties length wrong", mutate(func(b []byte) []byte { b[93]--; return b }), ErrSizeMismatch, 0},
		{"v6 flag without room", mutate(func(b []byte) []byte { b[39] |= 0x30; return b }), ErrSizeMismatch, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, n, err := DecodeStored(tc.b)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if n != tc.n {
				t.Fatalf("n = %d, want %d", n, tc.n)
			}
			if _, err := VerifyStored(tc.b); !errors.Is(err, tc.want) {
				t.Fatalf("VerifyStored err = %v, want %v", err, tc.want)
			}
		})
	}
	bad := mutate(func(b []byte) []byte { b[88] ^= 1; return b })
	if _, _, err := DecodeStored(bad); err != nil {
		t.Fatalf("DecodeStored checks no CRC, got %v", err)
	}
	if _, err := VerifyStored(bad); !errors.Is(err, ErrBadCRC) {
		t.Fatalf("VerifyStored = %v, want ErrBadCRC", err)
	}
}

func TestAppendStoredErrors(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Ext)
		want error
	}{
		{"empty topic", func(m *Ext) { m.Topic = "" }, ErrTopic},
		{"topic too long", func(m *Ext) { m.Topic = strings.Repeat("x", MaxTopicLength+1) }, ErrTopic},
		{"properties too long", func(m *Ext) { m.Properties = map[string]string{"k": strings.Repeat("v", 32766)} }, ErrPropertiesTooLong},
		{"raw properties too long", func(m *Ext) { m.RawProperties = strings.Repeat("v", 32768) }, ErrPropertiesTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := sampleExt()
			tc.mod(m)
			out, err := AppendStored([]byte("x"), m)
			if !errors.Is(err, tc.want) || string(out) != "x" {
				t.Fatalf("err = %v, out %q", err, out)
			}
		})
	}
	m := sampleExt()
	m.Properties = map[string]string{"k": strings.Repeat("v", 32764)} // exactly 32767 bytes
	if _, err := AppendStored(nil, m); err != nil {
		t.Fatalf("32767-byte properties refused: %v", err)
	}
}

func FuzzDecodeStored(f *testing.F) {
	for _, tc := range storedLayouts {
		f.Add(unhexT(f, tc.hex))
	}
	f.Add(unhexT(f, "00001000 CBD43194"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, n, err := DecodeStored(b)
		if err != nil {
			if m != nil {
				t.Fatal("message with error")
			}
			return
		}
		if n < MinStoredSize || n > len(b) {
			t.Fatalf("size %d of %d", n, len(b))
		}
		// Whatever decodes must re-encode to the same bytes, except that the
		// encoder normalizes the IPv6 bits, the CRC, the magic and the
		// properties (map form); so compare field by field after a trip.
		m.Properties = nil
		out, err := AppendStored(nil, m)
		if err != nil {
			if errors.Is(err, ErrTopic) && m.Topic == "" {
				return
			}
			t.Fatalf("re-encode: %v", err)
		}
		d, _, err := DecodeStored(out)
		if err != nil {
			t.Fatalf("decode of re-encoded: %v", err)
		}
		if d.Topic != m.Topic || !bytes.Equal(d.Body, m.Body) || d.RawProperties != m.RawProperties ||
			d.QueueOffset != m.QueueOffset || d.StoreTimestamp != m.StoreTimestamp {
			t.Fatalf("re-encode mismatch")
		}
	})
}

func BenchmarkAppendStored1K(b *testing.B) {
	m := sampleExt()
	m.Body = make([]byte, 1024)
	m.RawProperties = "KEYS\x01order-1234\x02TAGS\x01TagA\x02UNIQ_KEY\x017F000001B3F818B4AAC2166BCB2A0000\x02WAIT\x01true\x02"
	buf := make([]byte, 0, 2048)
	b.SetBytes(1024)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = AppendStored(buf[:0], m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeStored1K(b *testing.B) {
	m := sampleExt()
	m.Body = make([]byte, 1024)
	m.RawProperties = "KEYS\x01order-1234\x02TAGS\x01TagA\x02UNIQ_KEY\x017F000001B3F818B4AAC2166BCB2A0000\x02WAIT\x01true\x02"
	rec, err := AppendStored(nil, m)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("DecodeStored", func(b *testing.B) {
		b.SetBytes(int64(len(rec)))
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := DecodeStored(rec); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ViewParse", func(b *testing.B) {
		b.SetBytes(int64(len(rec)))
		b.ReportAllocs()
		var v View
		for b.Loop() {
			if _, err := v.Parse(rec); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("VerifyStored", func(b *testing.B) {
		b.SetBytes(int64(len(rec)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := VerifyStored(rec); err != nil {
				b.Fatal(err)
			}
		}
	})
}
