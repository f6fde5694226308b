package interop

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// sendUntilStopped sends messages from several goroutines until stop is
// closed, and returns the keys whose send returned SEND_OK.
func sendUntilStopped(t *testing.T, s *saturn, topic string, senders int, stop <-chan struct{}, sent *atomic.Int64) map[string]bool {
	t.Helper()
	p := s.newProducer()
	var mu sync.Mutex
	acked := map[string]bool{}
	var wg sync.WaitGroup
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("g%d-%d", g, i)
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				res, err := p.SendSync(ctx, testMessage(topic, key, ""))
				cancel()
				if err == nil && res.Status == primitive.SendOK {
					mu.Lock()
					acked[key] = true
					mu.Unlock()
					sent.Add(1)
				} else {
					// The broker is gone: do not spin.
					time.Sleep(50 * time.Millisecond)
				}
			}
		}()
	}
	<-stop
	wg.Wait()
	return acked
}

// checkAllConsumed consumes topic with a new group and checks that every
// acknowledged key arrives.
func checkAllConsumed(t *testing.T, s *saturn, topic, group string, acked map[string]bool) {
	t.Helper()
	got := newReceived()
	s.consume(group, topic, "*", got)
	eventually(t, 120*time.Second, fmt.Sprintf("%d acknowledged messages", len(acked)), func() bool {
		keys := got.keys()
		for k := range acked {
			if !keys[k] {
				return false
			}
		}
		return true
	})
	t.Logf("%d acknowledged, %d consumed after restart", len(acked), got.count())
}

// TestSyncFlushSurvivesKill9 kills the broker with SIGKILL while producers
// send with SYNC_FLUSH; after a restart every message whose send had returned
// SEND_OK is consumed.
func TestSyncFlushSurvivesKill9(t *testing.T) {
	s := startSaturn(t, "--broker-set", "flushDiskType=SYNC_FLUSH")
	const topic = "InteropKill9"
	s.createTopic(topic, 4)
	stop := make(chan struct{})
	var sent atomic.Int64
	var acked map[string]bool
	done := make(chan struct{})
	go func() {
		acked = sendUntilStopped(t, s, topic, 4, stop, &sent)
		close(done)
	}()
	eventually(t, 60*time.Second, "300 acknowledged sends", func() bool { return sent.Load() >= 300 })
	s.proc.Kill() // mid-flight: sends are in progress right now
	close(stop)
	<-done
	s.restartRouted(true, topic, 4)
	checkAllConsumed(t, s, topic, "interop-kill9", acked)
}

// TestGracefulRestartAsyncFlush restarts an ASYNC_FLUSH broker with SIGTERM
// and checks nothing acknowledged is lost.
func TestGracefulRestartAsyncFlush(t *testing.T) {
	s := startSaturn(t)
	const topic = "InteropGraceful"
	s.createTopic(topic, 4)
	stop := make(chan struct{})
	var sent atomic.Int64
	var acked map[string]bool
	done := make(chan struct{})
	go func() {
		acked = sendUntilStopped(t, s, topic, 4, stop, &sent)
		close(done)
	}()
	eventually(t, 60*time.Second, "300 acknowledged sends", func() bool { return sent.Load() >= 300 })
	close(stop)
	<-done
	s.restartRouted(false, topic, 4)
	checkAllConsumed(t, s, topic, "interop-graceful", acked)
}
