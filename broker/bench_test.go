package broker

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/saturnmq/saturn/remoting"
)

// BenchmarkSend measures SEND_MESSAGE round trips of 1 KiB messages over
// loopback, from parallel senders sharing one connection (as a client
// process does).
func BenchmarkSend(b *testing.B) {
	b.Run("ASYNC_FLUSH", func(b *testing.B) { benchmarkSend(b, AsyncFlush) })
	b.Run("SYNC_FLUSH", func(b *testing.B) { benchmarkSend(b, SyncFlush) })
}

func benchmarkSend(b *testing.B, flush FlushDiskType) {
	tb := startBroker(b, b.TempDir(), func(c *Config) {
		c.MappedFileSizeCommitLog = 256 << 20
		c.FlushDiskType = flush
		c.SendWorkers = 64
	})
	body := make([]byte, 1024)
	ext := sendExt("Bench", 0, map[string]string{"TAGS": "t", "UNIQ_KEY": "0A0000010000000000000000000000FF"})
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.SetParallelism(8) // 8 senders per CPU keep the connection busy
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			resp, err := tb.client.InvokeSync(ctx, tb.addr, remoting.NewRequest(remoting.RequestSendMessage, ext, body))
			if err != nil || resp.Code != remoting.ResponseSuccess {
				b.Errorf("send: %v %v", err, resp)
				return
			}
		}
	})
}

// BenchmarkPull measures PULL_MESSAGE round trips returning 32 messages of
// 1 KiB each.
func BenchmarkPull(b *testing.B) {
	tb := startBroker(b, b.TempDir(), nil)
	tb.createTopic("BenchPull", 1, 6)
	body := make([]byte, 1024)
	for range 1024 {
		resp := tb.call(remoting.RequestSendMessage, sendExt("BenchPull", 0, nil), body)
		if resp.Code != 0 {
			b.Fatalf("send: %d", resp.Code)
		}
	}
	tb.waitVisible(nil)
	b.SetBytes(32 * 1024)
	b.ReportAllocs()
	b.ResetTimer()
	ctx := context.Background()
	for i := range b.N {
		off := int64(i%32) * 32
		ext := pullExt("bench", "BenchPull", 0, off, pullSubscription, "*", 0)
		resp, err := tb.client.InvokeSync(ctx, tb.addr, remoting.NewRequest(remoting.RequestPullMessage, ext, nil))
		if err != nil || resp.Code != remoting.ResponseSuccess {
			b.Fatalf("pull: %v %v", err, resp)
		}
		if got := resp.ExtFields["nextBeginOffset"]; got != strconv.FormatInt(off+32, 10) {
			b.Fatalf("next %s", got)
		}
	}
}

// BenchmarkSendToHeldPull measures a message's way through the broker when
// its consumer is caught up, as in an end-to-end run at a moderate rate: a
// pull is held (long polling), one message is sent on another connection,
// and the op ends when the pull's answer with that message arrived. The
// e2e-ns/op metric is the time from the send to that answer; ns/op also
// counts issuing the next pull and waiting until it is held.
func BenchmarkSendToHeldPull(b *testing.B) {
	tb := startBroker(b, b.TempDir(), nil)
	tb.createTopic("BenchE2E", 1, 6)
	consumer := remoting.NewClient(remoting.ClientConfig{Logger: testLogger()})
	defer consumer.Close()
	body := make([]byte, 1024)
	ctx := context.Background()
	answers := make(chan *remoting.Command, 1)
	var e2e time.Duration
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		ext := pullExt("bench", "BenchE2E", 0, int64(i), pullSubscription|pullSuspend, "*", 30000)
		err := consumer.InvokeAsync(ctx, tb.addr, remoting.NewRequest(remoting.RequestPullMessage, ext, nil),
			func(resp *remoting.Command, err error) {
				if err != nil {
					b.Error(err)
				}
				answers <- resp
			})
		if err != nil {
			b.Fatal(err)
		}
		for tb.b.holds.len() == 0 {
			// Sleep rather than yield: a goroutine that keeps its P
			// busy delays the network poller, and the pull with it.
			time.Sleep(20 * time.Microsecond)
		}
		start := time.Now()
		resp, err := tb.client.InvokeSync(ctx, tb.addr, remoting.NewRequest(remoting.RequestSendMessage, sendExt("BenchE2E", 0, nil), body))
		if err != nil || resp.Code != remoting.ResponseSuccess {
			b.Fatalf("send: %v %v", err, resp)
		}
		if resp := <-answers; resp == nil || resp.Code != remoting.ResponseSuccess {
			b.Fatalf("pull: %v", resp)
		}
		e2e += time.Since(start)
	}
	b.ReportMetric(float64(e2e.Nanoseconds())/float64(b.N), "e2e-ns/op")
}
