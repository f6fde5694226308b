package loadgen

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/remoting"
)

// fakeRocketMQ is one remoting server acting as name server and broker: it
// routes every topic to itself and stores nothing, only counting what
// arrives and how its headers were serialized.
type fakeRocketMQ struct {
	srv *remoting.Server

	mu        sync.Mutex
	messages  int
	requests  map[int32]int
	serialize map[remoting.SerializeType]int // of send requests
}

func newFakeRocketMQ(t *testing.T) *fakeRocketMQ {
	f := &fakeRocketMQ{requests: map[int32]int{}, serialize: map[remoting.SerializeType]int{}}
	f.srv = remoting.NewServer(remoting.ServerConfig{Addr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	h := remoting.HandlerFunc(f.serve)
	for _, code := range []int32{remoting.RequestGetRouteInfoByTopic, remoting.RequestSendMessageV2,
		remoting.RequestSendBatchMessage, remoting.RequestHeartBeat, remoting.RequestUnregisterClient} {
		f.srv.Register(code, "fake", h)
	}
	if err := f.srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = f.srv.Shutdown(ctx)
	})
	return f
}

func (f *fakeRocketMQ) serve(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests[req.Code]++
	resp := remoting.NewResponse(req, remoting.ResponseSuccess, "")
	switch req.Code {
	case remoting.RequestGetRouteInfoByTopic:
		if req.ExtFields["topic"] == "Missing" {
			return remoting.NewResponse(req, remoting.ResponseTopicNotExist, "No topic route info in name server for the topic: Missing")
		}
		addr := f.srv.Addr().String()
		resp.Body = []byte(`{"brokerDatas":[{"brokerAddrs":{"0":"` + addr + `"},"brokerName":"b","cluster":"c"}],` +
			`"queueDatas":[{"brokerName":"b","perm":6,"readQueueNums":2,"topicSysFlag":0,"writeQueueNums":2}]}`)
	case remoting.RequestSendMessageV2, remoting.RequestSendBatchMessage:
		f.serialize[req.Serialize]++
		n := 1
		if req.Code == remoting.RequestSendBatchMessage {
			items, err := message.DecodeBatch(req.Body)
			if err != nil {
				return remoting.NewResponse(req, remoting.ResponseMessageIllegal, err.Error())
			}
			n = len(items)
		}
		resp.ExtFields["msgId"] = "7F00000100002A9F0000000000000000"
		resp.ExtFields["queueId"] = req.ExtFields["e"]
		resp.ExtFields["queueOffset"] = strconv.Itoa(f.messages)
		f.messages += n
	}
	return resp
}

func (f *fakeRocketMQ) counts() (messages int, serialize map[remoting.SerializeType]int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	serialize = map[remoting.SerializeType]int{}
	for k, v := range f.serialize {
		serialize[k] = v
	}
	return f.messages, serialize
}

// TestSaturnCheckTopic checks what consume mode learns before it starts: a
// topic with a route passes, one the name server does not know is named
// as such, and an unreachable name server is reported as it is.
func TestSaturnCheckTopic(t *testing.T) {
	f := newFakeRocketMQ(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	target, err := NewSaturnTarget(SaturnConfig{NameServers: []string{f.srv.Addr().String()}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := target.CheckTopic(ctx, "T"); err != nil {
		t.Errorf("existing topic: %v", err)
	}
	if err := target.CheckTopic(ctx, "Missing"); err == nil || !strings.Contains(err.Error(), "no such topic") {
		t.Errorf("missing topic: %v, want an error naming no such topic", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	down, err := NewSaturnTarget(SaturnConfig{NameServers: []string{closed}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	err = down.CheckTopic(ctx, "T")
	if err == nil || strings.Contains(err.Error(), "no such topic") || !strings.Contains(err.Error(), "connect") {
		t.Errorf("unreachable name server: %v, want the connection error", err)
	}
}

// TestSaturnSender sends single messages and batches through the client
// package, asynchronously, many at a time, and checks every one arrives
// once, with the header serialization asked for.
func TestSaturnSender(t *testing.T) {
	tests := []struct {
		name  string
		json  bool
		batch int
		want  remoting.SerializeType
	}{
		{"single binary", false, 1, remoting.SerializeRocketMQ},
		{"batch binary", false, 8, remoting.SerializeRocketMQ},
		{"single json", true, 1, remoting.SerializeJSON},
		{"batch json", true, 8, remoting.SerializeJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeRocketMQ(t)
			target, err := NewSaturnTarget(SaturnConfig{NameServers: []string{f.srv.Addr().String()}, JSONHeaders: tt.json,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s, err := target.NewSender(ctx, "T", 0)
			if err != nil {
				t.Fatal(err)
			}
			const sends = 200
			errs := make(chan error, sends)
			window := make(chan struct{}, 16) // reuse of pooled send state under concurrency
			for i := range sends {
				bodies := make([][]byte, tt.batch)
				for j := range bodies {
					bodies[j] = fmt.Appendf(nil, "message %d.%d", i, j)
				}
				window <- struct{}{}
				if err := s.Send(ctx, bodies, func(err error) { <-window; errs <- err }); err != nil {
					t.Fatal(err)
				}
			}
			for range sends {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(ctx); err != nil {
				t.Fatal(err)
			}
			n, ser := f.counts()
			if n != sends*tt.batch {
				t.Errorf("%d messages arrived, want %d", n, sends*tt.batch)
			}
			if ser[tt.want] != sends || len(ser) != 1 {
				t.Errorf("send requests by serialization %v, want %d of %v", ser, sends, tt.want)
			}
		})
	}
}
