package broker

import (
	"context"
	"strconv"
	"testing"

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
