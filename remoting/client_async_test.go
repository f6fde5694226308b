package remoting

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

func TestBinaryExtEncodesLikeAMap(t *testing.T) {
	var e BinaryExt
	e.Add("a", "group")
	e.Add("empty", "") // left out, as in every binary header
	e.AddInt("n", -42)
	e.AddBytes("p", []byte("K\x01V\x02"))
	e.AddBool("t", true)
	e.AddBool("f", false)
	req := NewRequest(codeEcho, nil, []byte("body"))
	req.Remark = "rem"
	frame, err := appendBinaryFrame(nil, req, &e, 77, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(frame[4:])
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a": "group", "n": "-42", "p": "K\x01V\x02", "t": "true", "f": "false"}
	if len(got.ExtFields) != len(want) {
		t.Fatalf("ext %v, want %v", got.ExtFields, want)
	}
	for k, v := range want {
		if got.ExtFields[k] != v {
			t.Fatalf("ext %v, want %v", got.ExtFields, want)
		}
	}
	if got.Code != codeEcho || got.Opaque != 77 || got.Remark != "rem" || string(got.Body) != "body" ||
		got.Serialize != SerializeRocketMQ || got.Language != LangGo || got.Version != CurrentVersion {
		t.Fatalf("decoded %v", got)
	}
	e.Reset()
	if e.Len() != 0 {
		t.Fatalf("Len after Reset = %d", e.Len())
	}
}

func TestBinaryExtRefusesWhatItCannotEncode(t *testing.T) {
	var e BinaryExt
	e.Add(string(make([]byte, 1<<15)), "v")
	if _, err := appendBinaryFrame(nil, NewRequest(codeEcho, nil, nil), &e, 1, 0); !errors.Is(err, ErrNotEncodable) {
		t.Fatalf("long key: error %v, want ErrNotEncodable", err)
	}
	if _, err := appendBinaryFrame(nil, NewRequest(RequestPopMessage, nil, nil), &BinaryExt{}, 1, 0); !errors.Is(err, ErrNotEncodable) {
		t.Fatalf("wide code: error %v, want ErrNotEncodable", err)
	}
}

func TestInvokeAsyncInline(t *testing.T) {
	s := startServer(t, ServerConfig{}, nil)
	for _, tc := range []struct {
		name string
		st   SerializeType
		ext  bool
	}{
		{"json map", SerializeJSON, false},
		{"binary map", SerializeRocketMQ, false},
		{"binary ext", SerializeRocketMQ, true},
		{"ext on a JSON client", SerializeJSON, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, ClientConfig{Serialize: tc.st})
			const n = 300
			type result struct {
				i    int
				resp *Command
				err  error
			}
			results := make(chan result, n)
			var ext BinaryExt
			for i := range n {
				req := NewRequest(codeEcho, nil, []byte(strconv.Itoa(i)))
				var e *BinaryExt
				if tc.ext {
					ext.Reset()
					ext.Add("i", strconv.Itoa(i))
					e = &ext
				} else {
					req.ExtFields = map[string]string{"i": strconv.Itoa(i)}
				}
				err := c.InvokeAsyncInline(ctxT(t), s.addr, req, e, func(resp *Command, err error) {
					results <- result{i, resp, err}
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			seen := map[int]bool{}
			for range n {
				r := <-results
				if r.err != nil {
					t.Fatal(r.err)
				}
				want := []ExtField{{"i", fmt.Sprint(r.i)}}
				if r.resp.ExtFields != nil || !slices.Equal(r.resp.Fields, want) || string(r.resp.Body) != fmt.Sprint(r.i) || seen[r.i] {
					t.Fatalf("callback %d got %v", r.i, r.resp)
				}
				seen[r.i] = true
			}
		})
	}
}

func TestInvokeAsyncInlineEndsWithItsContext(t *testing.T) {
	b := newBlocker()
	s := startServer(t, ServerConfig{}, func(s *Server) { s.Register(codeBlock, "block", b) })
	c := newClient(t, ClientConfig{Serialize: SerializeRocketMQ})
	errs := make(chan error, 2)
	cb := func(_ *Command, err error) { errs <- err }

	tctx, cancelT := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancelT()
	if err := c.InvokeAsyncInline(tctx, s.addr, NewRequest(codeBlock, nil, nil), nil, cb); err != nil {
		t.Fatal(err)
	}
	if err := <-errs; !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want ErrTimeout", err)
	}

	cctx, cancelC := context.WithCancel(context.Background())
	if err := c.InvokeAsyncInline(cctx, s.addr, NewRequest(codeBlock, nil, nil), &BinaryExt{}, cb); err != nil {
		t.Fatal(err)
	}
	<-b.started
	<-b.started
	cancelC()
	if err := <-errs; !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	close(b.release) // the late responses are dropped
	mustEcho(t, c, s.addr)
	select {
	case err := <-errs:
		t.Fatalf("callback called again with %v", err)
	default:
	}
}

func TestInvokeAsyncInlineFailsWhenConnectionBreaks(t *testing.T) {
	conns := make(chan *Conn, 10)
	b := newBlocker()
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Register(codeBlock, "block", HandlerFunc(func(ctx context.Context, conn *Conn, req *Command) *Command {
			conns <- conn
			return b.ServeRemoting(ctx, conn, req)
		}))
	})
	c := newClient(t, ClientConfig{Serialize: SerializeRocketMQ})
	const n = 5
	errs := make(chan error, n)
	for range n {
		err := c.InvokeAsyncInline(context.Background(), s.addr, NewRequest(codeBlock, nil, nil), nil,
			func(_ *Command, err error) { errs <- err })
		if err != nil {
			t.Fatal(err)
		}
	}
	for range n {
		<-b.started
	}
	_ = (<-conns).Close()
	for range n {
		if err := <-errs; !errors.Is(err, ErrConnClosed) {
			t.Fatalf("error %v, want ErrConnClosed", err)
		}
	}
	close(b.release)
	mustEcho(t, c, s.addr) // reconnects
}

func TestInvokeAsyncInlineCallbackMayCallAgain(t *testing.T) {
	s := startServer(t, ServerConfig{}, nil)
	c := newClient(t, ClientConfig{Serialize: SerializeRocketMQ})
	done := make(chan error, 1)
	var next func(left int) func(*Command, error)
	next = func(left int) func(*Command, error) {
		return func(_ *Command, err error) {
			if err != nil || left == 0 {
				done <- err
				return
			}
			// A synchronous call from the callback goroutine must not
			// deadlock: the connection keeps reading.
			if _, err := c.InvokeSync(ctxT(t), s.addr, NewRequest(codeEcho, nil, nil)); err != nil {
				done <- err
				return
			}
			if err := c.InvokeAsyncInline(ctxT(t), s.addr, NewRequest(codeEcho, nil, nil), nil, next(left-1)); err != nil {
				done <- err
			}
		}
	}
	if err := c.InvokeAsyncInline(ctxT(t), s.addr, NewRequest(codeEcho, nil, nil), nil, next(20)); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestInvokeSyncAndOnewayExt(t *testing.T) {
	got := make(chan *Command, 1)
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Register(codeNote, "note", HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
			got <- req
			return nil
		}))
	})
	c := newClient(t, ClientConfig{})
	var e BinaryExt
	e.Add("k", "v")
	resp, err := c.InvokeSyncExt(ctxT(t), s.addr, NewRequest(codeEcho, nil, []byte("x")), &e)
	if err != nil || resp.ExtFields["k"] != "v" || string(resp.Body) != "x" || resp.Serialize != SerializeRocketMQ {
		t.Fatalf("sync: %v %v", resp, err)
	}
	if err := c.InvokeOnewayExt(ctxT(t), s.addr, NewRequest(codeNote, nil, nil), &e); err != nil {
		t.Fatal(err)
	}
	if req := <-got; req.ExtFields["k"] != "v" || !req.IsOneway() {
		t.Fatalf("oneway arrived as %v", req)
	}
}

// Calls beyond the completion channel's capacity take a goroutine each but
// keep the semantics: one callback each, Fields, timeouts, close errors.
func TestInvokeAsyncInlineOverflow(t *testing.T) {
	b := newBlocker()
	var cur atomic.Pointer[blocker]
	cur.Store(b)
	conns := make(chan *Conn, 100)
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Register(codeBlock, "block", HandlerFunc(func(ctx context.Context, conn *Conn, req *Command) *Command {
			conns <- conn
			return cur.Load().ServeRemoting(ctx, conn, req)
		}))
	})
	c := newClient(t, ClientConfig{Serialize: SerializeRocketMQ})
	c.inlineQueue = 2 // before the first call dials

	// Answered: 6 calls, 4 of them overflow.
	const n = 6
	type result struct {
		resp *Command
		err  error
	}
	results := make(chan result, n)
	for i := range n {
		var e BinaryExt
		e.AddInt("i", int64(i))
		if err := c.InvokeAsyncInline(ctxT(t), s.addr, NewRequest(codeBlock, nil, nil), &e,
			func(resp *Command, err error) { results <- result{resp, err} }); err != nil {
			t.Fatal(err)
		}
	}
	for range n {
		<-b.started
	}
	close(b.release)
	for range n {
		r := <-results
		if r.err != nil || r.resp.Remark != "released" || r.resp.ExtFields != nil {
			t.Fatalf("got %v %v", r.resp, r.err)
		}
	}

	// Timed out and closed.
	b = newBlocker()
	cur.Store(b)
	tctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	for range 4 {
		if err := c.InvokeAsyncInline(tctx, s.addr, NewRequest(codeBlock, nil, nil), nil,
			func(resp *Command, err error) { results <- result{resp, err} }); err != nil {
			t.Fatal(err)
		}
	}
	for range 4 {
		if r := <-results; !errors.Is(r.err, ErrTimeout) {
			t.Fatalf("got %v %v, want ErrTimeout", r.resp, r.err)
		}
	}
	for range 4 {
		if err := c.InvokeAsyncInline(context.Background(), s.addr, NewRequest(codeBlock, nil, nil), nil,
			func(resp *Command, err error) { results <- result{resp, err} }); err != nil {
			t.Fatal(err)
		}
	}
	for range 8 {
		<-b.started
	}
	var conn *Conn
	for len(conns) > 0 {
		conn = <-conns
	}
	_ = conn.Close()
	for range 4 {
		if r := <-results; !errors.Is(r.err, ErrConnClosed) {
			t.Fatalf("got %v %v, want ErrConnClosed", r.resp, r.err)
		}
	}
	close(b.release)
	select {
	case r := <-results:
		t.Fatalf("extra callback %v %v", r.resp, r.err)
	case <-time.After(50 * time.Millisecond):
	}
}

// Large request bodies with Written set go out without a copy; Written tells
// when the connection is done with them.
func TestExtRequestBodyWrittenWithoutCopy(t *testing.T) {
	s := startServer(t, ServerConfig{}, nil)
	c := newClient(t, ClientConfig{})
	for _, size := range []int{10, zeroCopyMin, 100 << 10} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			body := make([]byte, size)
			for i := range body {
				body[i] = byte(i * 7)
			}
			var written atomic.Int32
			req := NewRequest(codeEcho, nil, body)
			req.Written = func() { written.Add(1) }
			var e BinaryExt
			e.Add("k", "v")
			resp, err := c.InvokeSyncExt(ctxT(t), s.addr, req, &e)
			if err != nil || !bytes.Equal(resp.Body, body) {
				t.Fatalf("echo of %d bytes: %d bytes back, %v", size, len(resp.Body), err)
			}
			waitFor(t, "Written", func() bool { return written.Load() == 1 })
			if err := c.InvokeOnewayExt(ctxT(t), s.addr, req, &e); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "Written of the oneway request", func() bool { return written.Load() == 2 })
		})
	}
}
