package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/store/vfs"
)

type written struct {
	topic string
	qid   int32
	qoff  int64
	phys  int64
	size  int
	body  string
	key   string
}

// fill writes n messages over three queues with keys, returning them in
// log order.
func fill(t *testing.T, s *Store, n int, first int) []written {
	t.Helper()
	var out []written
	for i := first; i < first+n; i++ {
		topic, qid := "Topic", int32(i%3)
		key := fmt.Sprintf("key-%d", i)
		m := newMsg(topic, qid, body(i)+string(make([]byte, i%700)), map[string]string{
			message.PropertyKeys: key, message.PropertyTags: "tag",
		})
		r := mustPut(t, s, m)
		out = append(out, written{topic, qid, r.QueueOffset, r.CommitLogOffset, int(m.StoreSize), string(m.Body), key})
	}
	return out
}

// crashImage takes the file system a restarted process finds.
func crashImage(s *Store, fs *vfs.MemFS, mode vfs.CrashMode, rng *rand.Rand) *vfs.MemFS {
	var img *vfs.MemFS
	s.quiesce(func() { img = fs.Crash(mode, rng) })
	return img
}

// checkSurvivors checks that exactly the messages in want are readable
// through consume queues and index, and that appends continue after them.
func checkSurvivors(t *testing.T, s *Store, want []written, end int64) {
	t.Helper()
	if s.MaxPhysicalOffset() != end {
		t.Fatalf("log ends at %d, want %d", s.MaxPhysicalOffset(), end)
	}
	waitVisible(t, s)
	perQueue := map[int32][]string{}
	for _, w := range want {
		perQueue[w.qid] = append(perQueue[w.qid], w.body)
	}
	for qid := int32(0); qid < 3; qid++ {
		got := bodies(t, s, "Topic", qid)
		if !slices.Equal(got, perQueue[qid]) {
			t.Fatalf("queue %d: %d messages, want %d", qid, len(got), len(perQueue[qid]))
		}
	}
	for _, w := range want {
		if w.key == "" {
			continue
		}
		msgs, err := s.QueryByKey("Topic", w.key, 4, 0, 1<<62)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("QueryByKey(%s) = %d, %v", w.key, len(msgs), err)
		}
	}
}

func TestRecoveryDamagedTail(t *testing.T) {
	damage := []struct {
		name string
		// damage changes the last segment's bytes; it returns the index
		// of the first message that must be gone.
		damage func(data []byte, base int64, ws []written) int
	}{
		{"clean crash, nothing damaged", func(data []byte, base int64, ws []written) int { return len(ws) }},
		{"cut mid-message", func(data []byte, base int64, ws []written) int {
			k := len(ws) - 3
			clear(data[ws[k].phys-base+int64(ws[k].size)/2:])
			return k
		}},
		{"garbage after the last message", func(data []byte, base int64, ws []written) int {
			last := ws[len(ws)-1]
			rng := rand.New(rand.NewPCG(1, 2))
			for i := last.phys - base + int64(last.size); i < int64(len(data)); i++ {
				data[i] = byte(rng.Uint32())
			}
			return len(ws)
		}},
		{"zeroed tail", func(data []byte, base int64, ws []written) int {
			k := len(ws) - 5
			clear(data[ws[k].phys-base:])
			return k
		}},
		{"body bit flip", func(data []byte, base int64, ws []written) int {
			k := len(ws) - 2
			data[ws[k].phys-base+int64(ws[k].size)-40] ^= 0x10
			return k
		}},
		{"header looks like an old record", func(data []byte, base int64, ws []written) int {
			// A copy of an earlier record at the position of a later
			// one: CRC and layout are fine, the physical offset is not.
			k := len(ws) - 4
			j := len(ws) - 10
			if ws[j].size <= ws[k].size {
				copy(data[ws[k].phys-base:], data[ws[j].phys-base:ws[j].phys-base+int64(ws[j].size)])
			} else {
				clear(data[ws[k].phys-base:])
			}
			return k
		}},
	}
	for _, tc := range damage {
		t.Run(tc.name, func(t *testing.T) {
			fs := vfs.NewMemFS()
			cfg := testConfig(fs)
			s := mustOpen(t, cfg)
			ws := fill(t, s, 1200, 0)
			waitVisible(t, s)
			// Let a checkpoint cover part of the log, then write more.
			if err := s.writeCheckpoint(false); err != nil {
				t.Fatal(err)
			}
			ws = append(ws, fill(t, s, 300, 1200)...)
			waitVisible(t, s)
			img := crashImage(s, fs, vfs.ProcessCrash, nil)
			s.Close()

			// Damage the segment of the last message.
			last := ws[len(ws)-1]
			base := last.phys - last.phys%cfg.SegmentSize
			// Messages of the damaged segment only.
			firstInSeg := slices.IndexFunc(ws, func(w written) bool { return w.phys >= base })
			f, err := img.Open(filepath.Join(cfg.Dir, "commitlog", offsetName(base)))
			if err != nil {
				t.Fatal(err)
			}
			k := tc.damage(f.Data(), base, ws[firstInSeg:]) + firstInSeg
			f.Close()

			cfg.FS = img
			s2 := mustOpen(t, cfg)
			end := int64(0)
			if k > 0 {
				end = ws[k-1].phys + int64(ws[k-1].size)
			}
			checkSurvivors(t, s2, ws[:k], end)
			// Appends continue at the cut with the right queue offsets.
			next := fill(t, s2, 30, 5000)
			if next[0].phys != end {
				t.Fatalf("first append after recovery at %d, want %d", next[0].phys, end)
			}
			all := append(slices.Clone(ws[:k]), next...)
			checkSurvivors(t, s2, all, next[len(next)-1].phys+int64(next[len(next)-1].size))
			if err := s2.Close(); err != nil {
				t.Fatal(err)
			}
			// And a clean restart keeps all of it.
			s3 := mustOpen(t, cfg)
			defer s3.Close()
			checkSurvivors(t, s3, all, next[len(next)-1].phys+int64(next[len(next)-1].size))
		})
	}
}

// TestRecoveryPowerLoss: with SyncFlush every acknowledged message survives
// a power loss, whatever unsynced pages reached the disk.
func TestRecoveryPowerLoss(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 99))
			fs := vfs.NewMemFS()
			cfg := testConfig(fs)
			cfg.FlushMode = SyncFlush
			s := mustOpen(t, cfg)
			ws := fill(t, s, 400+rng.IntN(800), 0)
			// Some of these are acknowledged without waiting.
			for i := range 20 {
				m := newMsg("Topic", int32(i%3), "nowait", map[string]string{message.PropertyWaitStoreMsgOK: "false"})
				if _, err := s.Put(context.Background(), m); err != nil {
					t.Fatal(err)
				}
			}
			mode := vfs.PowerLoss
			if seed%2 == 0 {
				mode = vfs.PowerLossWriteback
			}
			img := crashImage(s, fs, mode, rng)
			s.Close()
			cfg.FS = img
			s2 := mustOpen(t, cfg)
			defer s2.Close()
			end := s2.MaxPhysicalOffset()
			lastEnd := ws[len(ws)-1].phys + int64(ws[len(ws)-1].size)
			if end < lastEnd {
				t.Fatalf("log ends at %d, acknowledged up to %d", end, lastEnd)
			}
			waitVisible(t, s2)
			perQueue := map[int32][]string{}
			for _, w := range ws {
				perQueue[w.qid] = append(perQueue[w.qid], w.body)
			}
			for qid := int32(0); qid < 3; qid++ {
				got := bodies(t, s2, "Topic", qid)
				if len(got) < len(perQueue[qid]) || !slices.Equal(got[:len(perQueue[qid])], perQueue[qid]) {
					t.Fatalf("queue %d lost acknowledged messages: have %d, want at least %d", qid, len(got), len(perQueue[qid]))
				}
				for _, b := range got[len(perQueue[qid]):] {
					if b != "nowait" {
						t.Fatalf("queue %d has unexpected message %q", qid, b)
					}
				}
			}
			for _, w := range ws {
				if msgs, err := s2.QueryByKey("Topic", w.key, 4, 0, 1<<62); err != nil || len(msgs) != 1 {
					t.Fatalf("QueryByKey(%s) = %d, %v", w.key, len(msgs), err)
				}
			}
			fill(t, s2, 10, 9000)
		})
	}
}

// TestStrayTempFiles: files left by creations a crash interrupted (vfs.OS
// creates under name+".tmp" and renames) are removed at Open.
func TestStrayTempFiles(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, SegmentSize: 1 << 20, MaxMessageSize: 64 << 10, ConsumeQueueEntriesPerFile: 100,
		IndexSlots: 11, IndexEntries: 44, Logger: testLogger()}
	s := mustOpen(t, cfg)
	mustPut(t, s, newMsg("T", 0, "x", map[string]string{message.PropertyKeys: "k"}))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	strays := []string{
		filepath.Join(dir, "commitlog", offsetName(1<<20)+".tmp"),
		filepath.Join(dir, "consumequeue", "T", "0", offsetName(2000)+".tmp"),
		filepath.Join(dir, "index", "20260101000000000.tmp"),
	}
	for _, p := range strays {
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s = mustOpen(t, cfg)
	defer s.Close()
	for _, p := range strays {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s still there", p)
		}
	}
	if got := bodies(t, s, "T", 0); !slices.Equal(got, []string{"x"}) {
		t.Fatalf("queue holds %q", got)
	}
}
