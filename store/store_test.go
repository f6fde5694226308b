package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/store/vfs"
)

func TestPutGetBasic(t *testing.T) {
	fs := vfs.NewMemFS()
	s := mustOpen(t, testConfig(fs))
	defer s.Close()
	var want []string
	for i := range 2000 {
		m := newMsg("TopicA", 1, body(i), map[string]string{message.PropertyTags: "t" + string(rune('a'+i%3)), message.PropertyKeys: "k" + body(i)})
		r := mustPut(t, s, m)
		if r.QueueOffset != int64(i) || m.QueueOffset != int64(i) || m.CommitLogOffset != r.CommitLogOffset {
			t.Fatalf("put %d: result %+v, message offsets %d %d", i, r, m.QueueOffset, m.CommitLogOffset)
		}
		want = append(want, body(i))
	}
	waitVisible(t, s)
	if got := bodies(t, s, "TopicA", 1); !slices.Equal(got, want) {
		t.Fatalf("bodies = %d items, want %d", len(got), len(want))
	}
	if s.MaxOffset("TopicA", 1) != 2000 || s.MinOffset("TopicA", 1) != 0 {
		t.Fatalf("min %d max %d", s.MinOffset("TopicA", 1), s.MaxOffset("TopicA", 1))
	}
	// Segments rolled over (256 KiB each).
	if s.MaxPhysicalOffset() < 256<<10 {
		t.Fatalf("expected more than one segment, log ends at %d", s.MaxPhysicalOffset())
	}
	msgs, err := s.QueryByKey("TopicA", "k"+body(7), 10, 0, 1<<62)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("QueryByKey: %d, %v", len(msgs), err)
	}
	if m, _, _ := message.DecodeStored(msgs[0]); string(m.Body) != body(7) {
		t.Fatalf("QueryByKey found %q", m.Body)
	}
}

type tagFilter struct{ code int64 }

func (f tagFilter) MatchTagsCode(c int64) bool { return c == f.code }
func (f tagFilter) MatchMessage([]byte) bool   { return true }

func TestGetStatuses(t *testing.T) {
	s := mustOpen(t, testConfig(vfs.NewMemFS()))
	defer s.Close()
	for i := range 10 {
		mustPut(t, s, newMsg("T", 0, body(i), map[string]string{message.PropertyTags: "a"}))
	}
	waitVisible(t, s)
	tests := []struct {
		name   string
		topic  string
		offset int64
		filter MessageFilter
		status GetStatus
		next   int64
		count  int
	}{
		{"found", "T", 0, nil, Found, 4, 4},
		{"found tail", "T", 8, nil, Found, 10, 2},
		{"overflow one", "T", 10, nil, OffsetOverflowOne, 10, 0},
		{"overflow badly with min 0", "T", 11, nil, OffsetOverflowBadly, 0, 0},
		{"no queue", "X", 0, nil, NoMatchedLogicQueue, 0, 0},
		{"no matched", "T", 0, tagFilter{message.TagsCode("b")}, NoMatchedMessage, 10, 0},
		{"matched", "T", 3, tagFilter{message.TagsCode("a")}, Found, 7, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := s.Get(tc.topic, 0, tc.offset, 4, 0, tc.filter)
			if r.Status != tc.status || r.NextOffset != tc.next || len(r.Messages) != tc.count {
				t.Fatalf("Get = %v next %d count %d, want %v next %d count %d", r.Status, r.NextOffset, len(r.Messages), tc.status, tc.next, tc.count)
			}
			if tc.status.String() == "" || strings.HasPrefix(tc.status.String(), "GetStatus(") {
				t.Fatalf("no name for %d", tc.status)
			}
		})
	}
	// maxBytes stops early but returns at least one message.
	r := s.Get("T", 0, 0, 32, 1, nil)
	if r.Status != Found || len(r.Messages) != 1 || r.NextOffset != 1 {
		t.Fatalf("maxBytes: %v %d %d", r.Status, len(r.Messages), r.NextOffset)
	}
	if Found.String() != "FOUND" || OffsetOverflowOne.String() != "OFFSET_OVERFLOW_ONE" || PutOK.String() != "PUT_OK" {
		t.Fatal("status names")
	}
}

func TestPutRefusals(t *testing.T) {
	s := mustOpen(t, testConfig(vfs.NewMemFS()))
	defer s.Close()
	tests := []struct {
		name   string
		m      *message.Ext
		status PutStatus
		err    error
	}{
		{"empty topic", newMsg("", 0, "x", nil), MessageIllegal, ErrMessageIllegal},
		{"path in topic", newMsg("../x", 0, "x", nil), MessageIllegal, ErrMessageIllegal},
		{"body too large", newMsg("T", 0, strings.Repeat("x", 64<<10+1), nil), MessageIllegal, ErrMessageIllegal},
		{"properties too large", newMsg("T", 0, "x", map[string]string{"k": strings.Repeat("v", 40000)}), PropertiesSizeExceeded, ErrPropertiesSizeExceeded},
	}
	for _, tc := range tests {
		r, err := s.Put(context.Background(), tc.m)
		if r.Status != tc.status || !errors.Is(err, tc.err) {
			t.Errorf("%s: %v %v", tc.name, r.Status, err)
		}
	}
	if s.MaxPhysicalOffset() != 0 {
		t.Fatalf("refused messages were written: %d", s.MaxPhysicalOffset())
	}
	mustPut(t, s, newMsg("T", 0, strings.Repeat("x", 64<<10), nil))
}

// TestCleanRestart: after Close the next Open takes the fast path (no scan)
// in both flush modes, and finds everything.
func TestCleanRestart(t *testing.T) {
	for _, mode := range []FlushMode{AsyncFlush, SyncFlush} {
		t.Run(mode.String(), func(t *testing.T) {
			cfg := testConfig(vfs.NewMemFS())
			cfg.FlushMode = mode
			s := mustOpen(t, cfg)
			if s.cleanStart {
				t.Fatal("a new store reported a clean start")
			}
			ws := fill(t, s, 500, 0)
			// Some without waiting for their sync.
			for i := range 5 {
				m := newMsg("Topic", int32(i%3), body(900+i), map[string]string{message.PropertyWaitStoreMsgOK: "false", message.PropertyKeys: "nowait"})
				r := mustPut(t, s, m)
				ws = append(ws, written{"Topic", m.QueueID, r.QueueOffset, r.CommitLogOffset, int(m.StoreSize), string(m.Body), ""})
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = mustOpen(t, cfg)
			defer s.Close()
			if !s.cleanStart {
				t.Fatal("Open after Close did not take the clean path")
			}
			last := ws[len(ws)-1]
			checkSurvivors(t, s, ws, last.phys+int64(last.size))
		})
	}
}

// TestWarmSegments: with WarmSegments the prepared segments are warmed in
// the background and appends across them work in both modes.
func TestWarmSegments(t *testing.T) {
	for _, mode := range []FlushMode{AsyncFlush, SyncFlush} {
		t.Run(mode.String(), func(t *testing.T) {
			cfg := testConfig(vfs.NewMemFS())
			cfg.FlushMode = mode
			cfg.WarmSegments = WarmOn
			s := mustOpen(t, cfg)
			defer s.Close()
			ws := fill(t, s, 1500, 0)
			if len(s.cl.segs) < 3 {
				t.Fatalf("only %d segments", len(s.cl.segs))
			}
			last := ws[len(ws)-1]
			checkSurvivors(t, s, ws, last.phys+int64(last.size))
		})
	}
}

// TestExactBlank: a segment whose last record leaves exactly the 8 bytes
// of the end marker, in both modes (in SyncFlush the staged blank is
// contiguous with the next segment's first record).
func TestExactBlank(t *testing.T) {
	for _, mode := range []FlushMode{AsyncFlush, SyncFlush} {
		t.Run(mode.String(), func(t *testing.T) {
			cfg := testConfig(vfs.NewMemFS())
			cfg.FlushMode = mode
			s := mustOpen(t, cfg)
			defer s.Close()
			seg := cfg.SegmentSize
			// Record size = 91 + body + topic (1) + no properties.
			sizes := []int64{60000, 60000, 60000, 60000, seg - 8 - 200 - 240000, 200, 150}
			var ws []written
			for i, size := range sizes {
				m := newMsg("T", 0, strings.Repeat("b", int(size)-92), nil)
				r := mustPut(t, s, m)
				if int64(m.StoreSize) != size {
					t.Fatalf("record %d has %d bytes, want %d", i, m.StoreSize, size)
				}
				ws = append(ws, written{phys: r.CommitLogOffset})
			}
			if ws[5].phys != seg-8-200 || ws[6].phys != seg {
				t.Fatalf("records at %d and %d", ws[5].phys, ws[6].phys)
			}
			waitVisible(t, s)
			if got := bodies(t, s, "T", 0); len(got) != len(sizes) {
				t.Fatalf("%d messages readable", len(got))
			}
			s.Close()
			s = mustOpen(t, cfg)
			if got := bodies(t, s, "T", 0); len(got) != len(sizes) {
				t.Fatalf("%d messages readable after restart", len(got))
			}
		})
	}
}
