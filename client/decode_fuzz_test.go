package client

import (
	"reflect"
	"testing"

	"github.com/saturnmq/saturn/message"
)

// FuzzDecodePulled feeds arbitrary pull response bodies to the client's
// decoder: it must never panic, and must agree with message.DecodeAll on
// how many records decode, on the error, and on every decoded message.
func FuzzDecodePulled(f *testing.F) {
	f.Add(storedRecords(f, pulledMsg("T", 0, "UNIQ_KEY\x01A\x02TAGS\x01x\x02"), pulledMsg("U", 1, "KEYS\x01k\x02")))
	f.Add(storedRecords(f, pulledMsg("T", 0, "")))
	f.Add([]byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, body []byte) {
		want, wantErr := message.DecodeAll(body)
		got, err := decodePulled(body, "T", false)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("err = %v, DecodeAll's = %v", err, wantErr)
		}
		if len(got) != len(want) {
			t.Fatalf("%d messages, DecodeAll decoded %d", len(got), len(want))
		}
		for i := range want {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("message %d:\n got %+v\nwant %+v", i, got[i], want[i])
			}
		}
		// Lazy properties decode the same records.
		lazy, err := decodePulled(body, "T", true)
		if (err == nil) != (wantErr == nil) || len(lazy) != len(want) {
			t.Fatalf("lazy: %d messages, err %v; want %d, %v", len(lazy), err, len(want), wantErr)
		}
	})
}
