package interop

import (
	"context"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// BenchmarkOfficialProducerSendSync measures the official Go client's
// synchronous 1 KiB sends against `saturn serve` (ASYNC_FLUSH), with
// b.RunParallel's goroutines as concurrent producers sharing one client.
// Run: cd interop && go test -run '^$' -bench OfficialProducer -cpu 4 -count 5
func BenchmarkOfficialProducerSendSync(b *testing.B) {
	s := startSaturn(b)
	const topic = "InteropThroughput"
	s.createTopic(topic, 8)
	p := s.newProducer()
	body := make([]byte, 1024)
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := p.SendSync(ctx, primitive.NewMessage(topic, body))
			cancel()
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
