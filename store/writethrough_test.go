package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/store/vfs"
)

// TestBatchAcrossSegments appends batches large enough to be written
// through (AsyncFlush) or staged (SyncFlush), of sizes that make them end
// segments at every kind of position, and reads them back, before and
// after a restart.
func TestBatchAcrossSegments(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mode   FlushMode
		mapped bool
		ahead  int // SyncFlush: write-ahead stage size, 0 for the default
	}{
		{"async write-through", AsyncFlush, false, 0},
		{"async mapped", AsyncFlush, true, 0},
		{"sync", SyncFlush, false, 0},
		{"sync, every append writes ahead", SyncFlush, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := vfs.NewMemFS()
			cfg := testConfig(fs)
			cfg.FlushMode, cfg.MappedAppends = tc.mode, tc.mapped
			s := mustOpen(t, cfg)
			if tc.ahead > 0 {
				setWriteAhead(s, tc.ahead)
			}
			var want []string
			n := 0
			// 24 batches of 1-40 messages of 700-1900 bytes: ~700 KiB,
			// two segment ends, most batches over writeThroughMin.
			for b := range 24 {
				ms := make([]*message.Ext, 1+(b*13)%40)
				for i := range ms {
					body := fmt.Sprintf("%s-%s", body(n), strings.Repeat("x", 700+(n*97)%1200))
					ms[i] = newMsg("T", 0, body, nil)
					want = append(want, body)
					n++
				}
				r, err := s.PutBatch(context.Background(), ms)
				if err != nil || r.Status != PutOK || r.Count != len(ms) {
					t.Fatalf("PutBatch %d: %v %v count %d", b, r.Status, err, r.Count)
				}
				for i, m := range ms {
					if r.Offsets[i] != m.CommitLogOffset {
						t.Fatalf("batch %d message %d: offset %d, result says %d", b, i, m.CommitLogOffset, r.Offsets[i])
					}
				}
			}
			if got := s.cl.reservePos; got < 2*cfg.SegmentSize {
				t.Fatalf("log ends at %d: the test should cross two segment ends", got)
			}
			waitVisible(t, s)
			if got := bodies(t, s, "T", 0); !slices.Equal(got, want) {
				t.Fatalf("read %d messages, want %d (or they differ)", len(got), len(want))
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = mustOpen(t, cfg)
			defer s.Close()
			waitVisible(t, s)
			if got := bodies(t, s, "T", 0); !slices.Equal(got, want) {
				t.Fatalf("after reopening: read %d messages, want %d (or they differ)", len(got), len(want))
			}
		})
	}
}
