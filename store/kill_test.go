package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saturnmq/saturn/message"
)

// killChildEnv names the directory a re-executed test binary writes to as
// the child of TestKill9SyncFlush.
const killChildEnv = "SATURN_STORE_KILL_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(killChildEnv); dir != "" {
		killChild(dir)
		return // killChild never returns normally: it is killed
	}
	os.Exit(m.Run())
}

func killConfig(dir string) Config {
	return Config{
		Dir:                        dir,
		SegmentSize:                1 << 20,
		MaxMessageSize:             64 << 10,
		FlushMode:                  SyncFlush,
		ConsumeQueueEntriesPerFile: 1000,
		IndexSlots:                 1009,
		IndexEntries:               4000,
		ConsumeQueueFlushInterval:  20 * time.Millisecond,
		Logger:                     testLogger(),
	}
}

// killChild appends from several goroutines with SyncFlush and prints
// "ack <phys> <queue> <queueOffset> <key>" after each append returns.
func killChild(dir string) {
	s, err := Open(killConfig(dir))
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				key := fmt.Sprintf("w%d-%d", w, i)
				m := newMsg("KillTopic", int32(w%4), key+strings.Repeat(".", i%900), map[string]string{message.PropertyKeys: key})
				r, err := s.Put(context.Background(), m)
				if err != nil {
					fmt.Fprintln(os.Stderr, "put:", err)
					os.Exit(3)
				}
				mu.Lock()
				fmt.Fprintf(out, "ack %d %d %d %s\n", r.CommitLogOffset, m.QueueID, r.QueueOffset, key)
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

type ack struct {
	phys, qoff int64
	qid        int32
	key        string
}

// TestKill9SyncFlush kills a writer with SIGKILL in the middle of SyncFlush
// appends and checks that every append that had returned is in the store
// after it is reopened.
func TestKill9SyncFlush(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acks []ack
	sc := bufio.NewScanner(stdout)
	killed := false
	deadline := time.Now().Add(30 * time.Second)
	for sc.Scan() {
		var a ack
		if _, err := fmt.Sscanf(sc.Text(), "ack %d %d %d %s", &a.phys, &a.qid, &a.qoff, &a.key); err != nil {
			t.Fatalf("child said %q", sc.Text())
		}
		acks = append(acks, a)
		// Kill once well past a few segments, or at the deadline.
		if !killed && (len(acks) >= 8000 || time.Now().After(deadline)) {
			cmd.Process.Kill()
			killed = true
		}
	}
	cmd.Wait()
	if !killed {
		t.Fatalf("child exited by itself after %d acks: %s", len(acks), stderr.String())
	}
	if len(acks) < 100 {
		t.Fatalf("only %d acks before the kill", len(acks))
	}

	s, err := Open(killConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	waitVisible(t, s)
	for _, a := range acks {
		b, err := s.MessageAt(a.phys)
		if err != nil {
			t.Fatalf("acknowledged message %s at %d lost: %v", a.key, a.phys, err)
		}
		m, _, err := message.DecodeStored(b)
		if err != nil || m.Keys()[0] != a.key || m.QueueOffset != a.qoff {
			t.Fatalf("message at %d: %v %v", a.phys, m, err)
		}
		r := s.Get("KillTopic", a.qid, a.qoff, 1, 0, nil)
		if r.Status != Found || string(r.Messages[0]) != string(b) {
			t.Fatalf("queue %d offset %d: %v", a.qid, a.qoff, r.Status)
		}
	}
	// A sample through the index.
	for i := 0; i < len(acks); i += len(acks)/50 + 1 {
		if msgs, err := s.QueryByKey("KillTopic", acks[i].key, 2, 0, 1<<62); err != nil || len(msgs) != 1 {
			t.Fatalf("QueryByKey(%s): %d %v", acks[i].key, len(msgs), err)
		}
	}
	t.Logf("%d acknowledged appends before SIGKILL, all recovered; log ends at %d", len(acks), s.MaxPhysicalOffset())
	// The store goes on.
	mustPut(t, s, newMsg("KillTopic", 0, "after", nil))
}
