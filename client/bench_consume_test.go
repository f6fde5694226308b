package client

import (
	"context"
	"encoding/json"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/remoting"
)

// pullBenchBroker answers every pull with pullBenchBatch 1 KiB messages at
// the offset asked for (queues never end), and everything else a push
// consumer asks with a plain success, so BenchmarkPushConsume measures the
// client's consume path (and the remoting layer), not a store.
type pullBenchBroker struct {
	srv      *remoting.Server
	template []byte // pullBenchBatch records at offsets 0..
	sizes    []int  // record sizes in template
	clientID string
}

const pullBenchBatch = 32 // the broker's default cap per pull

func newPullBenchBroker(b *testing.B, clientID string) *pullBenchBroker {
	pb := &pullBenchBroker{clientID: clientID}
	for i := range pullBenchBatch {
		m := pulledMsg("BenchTopic", int64(i), "UNIQ_KEY\x017F0000010001B4A3C9D20000000000"+strconv.Itoa(10+i)+"\x02")
		m.Body = make([]byte, 1024)
		n := len(pb.template)
		var err error
		if pb.template, err = message.AppendStored(pb.template, m); err != nil {
			b.Fatal(err)
		}
		pb.sizes = append(pb.sizes, len(pb.template)-n)
	}
	pb.srv = remoting.NewServer(remoting.ServerConfig{Addr: "127.0.0.1:0", Logger: quietLogger()})
	h := remoting.HandlerFunc(pb.serve)
	for _, code := range []int32{remoting.RequestPullMessage, remoting.RequestQueryConsumerOffset,
		remoting.RequestUpdateConsumerOffset, remoting.RequestHeartBeat, remoting.RequestUnregisterClient,
		remoting.RequestGetConsumerListByGroup} {
		pb.srv.Register(code, "all", h)
	}
	if err := pb.srv.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { shutdownServer(pb.srv) })
	return pb
}

func (pb *pullBenchBroker) serve(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	resp := remoting.NewResponse(req, remoting.ResponseSuccess, "")
	switch req.Code {
	case remoting.RequestPullMessage:
		off, _ := strconv.ParseInt(req.ExtFields["queueOffset"], 10, 64)
		body := append([]byte(nil), pb.template...)
		for i, pos := 0, 0; i < pullBenchBatch; i++ {
			message.PutQueueOffset(body[pos:], off+int64(i))
			pos += pb.sizes[i]
		}
		resp.Body = body
		resp.ExtFields["nextBeginOffset"] = strconv.FormatInt(off+pullBenchBatch, 10)
		resp.ExtFields["minOffset"] = "0"
		resp.ExtFields["maxOffset"] = strconv.FormatInt(off+pullBenchBatch, 10)
		resp.ExtFields["suggestWhichBrokerId"] = "0"
	case remoting.RequestQueryConsumerOffset:
		resp.ExtFields["offset"] = "0"
	case remoting.RequestGetConsumerListByGroup:
		resp.Body, _ = json.Marshal(map[string][]string{"consumerIdList": {pb.clientID}})
	}
	return resp
}

// BenchmarkPushConsume consumes 1 KiB messages from 8 queues of an
// in-process broker; one op is one message handed to the handler. Its CPU
// (cpu-ns/op: the whole process's) and allocations include the fake
// broker's side (building responses).
func BenchmarkPushConsume(b *testing.B) {
	for _, tc := range []struct {
		name  string
		batch int // ConsumeBatchSize
		lazy  bool
	}{
		{"batch1", 1, false},
		{"batch32", 32, false},
		{"batch32 lazy", 32, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ns := newFakeNameServer(&testing.T{})
			b.Cleanup(func() { shutdownServer(ns.srv) })
			c, err := New(Config{NameServers: []string{ns.addr()}, Logger: quietLogger(), InstanceName: "bench", Serialize: remoting.SerializeRocketMQ})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = c.Close(context.Background()) })
			pb := newPullBenchBroker(b, c.ID())
			fb := &fakeBroker{name: "broker-a", srv: pb.srv}
			ns.setRoute("BenchTopic", 8, PermRead|PermWrite, fb)
			ns.setRoute(RetryTopic("bench"), 1, PermRead|PermWrite, fb)

			var got atomic.Int64
			want := int64(b.N)
			done := make(chan struct{})
			pc, err := NewPushConsumer(c, PushConsumerConfig{
				Group: "bench", ConsumeFrom: ConsumeFromFirstOffset, Workers: 4,
				ConsumeBatchSize: tc.batch, PullBatchSize: pullBenchBatch, LazyProperties: tc.lazy,
			}, func(_ context.Context, msgs []*message.Ext) ConsumeResult {
				if got.Add(int64(len(msgs))) >= want && got.Load()-int64(len(msgs)) < want {
					close(done)
				}
				return ConsumeSuccess
			})
			if err != nil {
				b.Fatal(err)
			}
			if err := pc.Subscribe("BenchTopic", SubscribeAll); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := processCPU()
			if err := pc.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
			select {
			case <-done:
			case <-time.After(5 * time.Minute):
				b.Fatalf("consumed %d of %d", got.Load(), want)
			}
			b.StopTimer()
			// CPU rather than wall time per message: the machine may be
			// shared, and wall time then says little.
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
			_ = pc.Shutdown(context.Background())
		})
	}
}
