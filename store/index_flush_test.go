package store

import (
	"path"
	"strings"
	"testing"
	"time"

	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/store/vfs"
)

// TestIndexSyncDoesNotStallDispatch holds an index file's sync (as a slow
// msync on a busy disk would) and checks that messages appended meanwhile
// still reach their consume queue, so long-polling readers are not stalled,
// and that their keys are in the index once the sync is done.
func TestIndexSyncDoesNotStallDispatch(t *testing.T) {
	fs := vfs.NewMemFS()
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	fs.SetFault(func(op vfs.Op, name string) error {
		if op == vfs.OpSync && strings.HasPrefix(path.Base(path.Dir(name)), "index") {
			select {
			case entered <- struct{}{}:
				<-release // only the first index sync is held
			default:
			}
		}
		return nil
	})
	s := mustOpen(t, testConfig(fs))
	mustPut(t, s, newMsg("T", 0, "first", map[string]string{message.PropertyKeys: "k-first"}))
	select {
	case <-entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the index was never synced")
	}

	// The index sync is held now. Appends must still be dispatched.
	for i := range 5 {
		mustPut(t, s, newMsg("T", 0, body(i), map[string]string{message.PropertyKeys: "k-held"}))
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := s.Get("T", 0, 0, 32, 1<<20, nil)
		if len(r.Messages) == 6 {
			break
		}
		if time.Now().After(deadline) {
			close(release)
			t.Fatalf("with the index sync held, the queue shows %d of 6 messages", len(r.Messages))
		}
		time.Sleep(time.Millisecond)
	}
	close(release)

	// Once the sync is done the keys added meanwhile are found.
	deadline = time.Now().Add(30 * time.Second)
	for {
		got, err := s.QueryByKey("T", "k-held", 32, 0, time.Now().Add(time.Hour).UnixMilli())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the sync the index finds %d of 5 messages by key", len(got))
		}
		time.Sleep(time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
