package client

import (
	"errors"
	"net/netip"
	"reflect"
	"strconv"
	"testing"

	"github.com/saturnmq/saturn/message"
)

// storedRecords encodes msgs back to back, as a pull response body holds
// them.
func storedRecords(t testing.TB, msgs ...*message.Ext) []byte {
	t.Helper()
	var b []byte
	for _, m := range msgs {
		var err error
		if b, err = message.AppendStored(b, m); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func pulledMsg(topic string, off int64, props string) *message.Ext {
	return &message.Ext{
		QueueID: 3, Flag: 7, QueueOffset: off, CommitLogOffset: 1000 + off, BornTimestamp: 11, StoreTimestamp: 12,
		BornHost:       netip.MustParseAddrPort("10.0.0.1:5000"),
		StoreHost:      netip.MustParseAddrPort("10.0.0.2:10911"),
		ReconsumeTimes: 2, Body: []byte("body-" + strconv.FormatInt(off, 10)),
		Topic: topic, RawProperties: props,
	}
}

func TestDecodePulledMatchesDecodeAll(t *testing.T) {
	v6 := pulledMsg("T", 3, "")
	v6.BornHost = netip.MustParseAddrPort("[2001:db8::1]:5000")
	v6.StoreHost = netip.MustParseAddrPort("[2001:db8::2]:10911")
	for _, tc := range []struct {
		name string
		msgs []*message.Ext
	}{
		{"queue topic", []*message.Ext{pulledMsg("T", 0, "UNIQ_KEY\x01A\x02TAGS\x01x\x02"), pulledMsg("T", 1, "KEYS\x01k1 k2\x02")}},
		{"other topics", []*message.Ext{pulledMsg("%RETRY%g", 0, "RETRY_TOPIC\x01T\x02"), pulledMsg("T", 1, "a\x01b\x02"), pulledMsg("U", 2, "")}},
		{"no properties", []*message.Ext{pulledMsg("T", 0, ""), pulledMsg("T", 1, "")}},
		{"ipv6 hosts", []*message.Ext{v6}},
		{"empty body", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := storedRecords(t, tc.msgs...)
			want, err := message.DecodeAll(body)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodePulled(body, "T", false)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d messages, want %d", len(got), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Errorf("message %d:\n got %+v\nwant %+v", i, got[i], want[i])
				}
			}
		})
	}
}

func TestDecodePulledMalformed(t *testing.T) {
	body := storedRecords(t, pulledMsg("T", 0, "a\x01b\x02"), pulledMsg("T", 1, "c\x01d\x02"))
	for _, tc := range []struct {
		name string
		cut  int // bytes cut off the end
		n    int // messages decoded before the bad record
	}{
		{"truncated last record", 5, 1},
		{"truncated first record", len(body) - 10, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodePulled(body[:len(body)-tc.cut], "T", false)
			if !errors.Is(err, message.ErrShortBuffer) {
				t.Fatalf("err = %v, want ErrShortBuffer", err)
			}
			if len(got) != tc.n {
				t.Fatalf("%d messages before the bad record, want %d", len(got), tc.n)
			}
			if tc.n > 0 && (got[0].Properties["a"] != "b" || got[0].Topic != "T") {
				t.Fatalf("first message = %+v", got[0])
			}
		})
	}
}

// BenchmarkDecodePull decodes a typical pull response: 32 records of 1 KiB
// with a UNIQ_KEY, per message.
func BenchmarkDecodePull(b *testing.B) {
	var msgs []*message.Ext
	for i := range 32 {
		m := pulledMsg("BenchTopic", int64(i), "UNIQ_KEY\x017F0000010001B4A3C9D20000000000"+strconv.Itoa(10+i)+"\x02")
		m.Body = make([]byte, 1024)
		msgs = append(msgs, m)
	}
	body := storedRecords(b, msgs...)
	for _, tc := range []struct {
		name   string
		decode func([]byte) ([]*message.Ext, error)
	}{
		{"message.DecodeAll", message.DecodeAll},
		{"decodePulled", func(body []byte) ([]*message.Ext, error) { return decodePulled(body, "BenchTopic", false) }},
		{"decodePulled lazy", func(body []byte) ([]*message.Ext, error) { return decodePulled(body, "BenchTopic", true) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out, err := tc.decode(body)
				if err != nil || len(out) != 32 {
					b.Fatal(len(out), err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*32), "ns/msg")
		})
	}
}
