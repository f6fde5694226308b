package client

import (
	"context"
	"testing"

	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/remoting"
)

// benchBroker answers every send with a fixed success, so the benchmarks
// measure the client (and the remoting layer), not a store.
func benchBroker(b *testing.B) *fakeBroker {
	fb := &fakeBroker{t: nil, name: "broker-a"}
	fb.srv = remoting.NewServer(remoting.ServerConfig{Addr: "127.0.0.1:0", Logger: quietLogger()})
	fb.srv.Register(remoting.RequestSendMessageV2, "send", remoting.HandlerFunc(
		func(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
			resp := remoting.NewResponse(req, remoting.ResponseSuccess, "")
			resp.ExtFields["msgId"] = "7F00000100002A9F0000000000000000"
			resp.ExtFields["queueId"] = req.ExtFields["e"]
			resp.ExtFields["queueOffset"] = "12345"
			resp.ExtFields["MSG_REGION"] = "DefaultRegion"
			resp.ExtFields["TRACE_ON"] = "true"
			return resp
		}))
	if err := fb.srv.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { shutdownServer(fb.srv) })
	return fb
}

func benchProducer(b *testing.B, st remoting.SerializeType) *Producer {
	ns := newFakeNameServer(&testing.T{})
	b.Cleanup(func() { shutdownServer(ns.srv) })
	fb := benchBroker(b)
	ns.setRoute("BenchTopic", 4, PermRead|PermWrite, fb)
	c, err := New(Config{NameServers: []string{ns.addr()}, Serialize: st, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close(context.Background()) })
	p, err := NewProducer(c, ProducerConfig{})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

func benchSend(b *testing.B, st remoting.SerializeType) {
	p := benchProducer(b, st)
	m := &message.Message{Topic: "BenchTopic", Body: make([]byte, 1024),
		Properties: map[string]string{message.PropertyTags: "TagA", message.PropertyKeys: "key-1"}}
	ctx := context.Background()
	if _, err := p.SendSync(ctx, m); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(m.Body)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := p.SendSync(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSendSync sends 1 KiB messages one at a time to an in-process
// broker; allocations include the fake broker's side of each round trip.
func BenchmarkSendSync(b *testing.B) {
	b.Run("json", func(b *testing.B) { benchSend(b, remoting.SerializeJSON) })
	b.Run("rocketmq", func(b *testing.B) { benchSend(b, remoting.SerializeRocketMQ) })
}

// BenchmarkSendSyncParallel keeps many sends in flight over one connection.
func BenchmarkSendSyncParallel(b *testing.B) {
	p := benchProducer(b, remoting.SerializeRocketMQ)
	m := &message.Message{Topic: "BenchTopic", Body: make([]byte, 1024)}
	ctx := context.Background()
	if _, err := p.SendSync(ctx, m); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(m.Body)))
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := p.SendSync(ctx, m); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkSendAsync keeps up to 256 asynchronous sends in flight over one
// connection, as the load tool does.
func BenchmarkSendAsync(b *testing.B) {
	p := benchProducer(b, remoting.SerializeRocketMQ)
	m := &message.Message{Topic: "BenchTopic", Body: make([]byte, 1024)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := p.SendSync(ctx, m); err != nil {
		b.Fatal(err)
	}
	window := make(chan struct{}, 256)
	cb := func(_ *SendResult, err error) {
		if err != nil {
			b.Error(err)
		}
		<-window
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(m.Body)))
	b.ResetTimer()
	for b.Loop() {
		window <- struct{}{}
		if err := p.SendAsync(ctx, m, cb); err != nil {
			b.Fatal(err)
		}
	}
	for range cap(window) {
		window <- struct{}{}
	}
}

// BenchmarkPrepare measures the client's own work per message without the
// network: validation, properties with a fresh UNIQ_KEY and, for binary
// headers, the header encoding of an attempt (JSON headers are built as a
// map when sent).
func BenchmarkPrepare(b *testing.B) {
	tagged := map[string]string{message.PropertyTags: "TagA", message.PropertyKeys: "key-1"}
	for _, tc := range []struct {
		name  string
		st    remoting.SerializeType
		props map[string]string
	}{
		{"JSON", remoting.SerializeJSON, tagged},
		{"ROCKETMQ", remoting.SerializeRocketMQ, tagged},
		// What the load tool sends: no properties of its own.
		{"ROCKETMQ-bare", remoting.SerializeRocketMQ, nil},
	} {
		b.Run(tc.name, func(b *testing.B) {
			p := benchProducer(b, tc.st)
			m := &message.Message{Topic: "BenchTopic", Body: make([]byte, 1024), Properties: tc.props}
			b.ReportAllocs()
			for b.Loop() {
				r, err := p.prepare(m, nil)
				if err != nil {
					b.Fatal(err)
				}
				if tc.st == remoting.SerializeRocketMQ {
					p.encodeHeader(r, 3)
				}
				p.putReq(r)
			}
		})
	}
}
