package remoting

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Generous deadline for conditions that must become true: the machine is
// slow and shared, and no test asserts on how fast anything happens.
const waitLimit = 20 * time.Second

const (
	codeEcho  int32 = 1000
	codeBlock int32 = 1001
	codePanic int32 = 1002
	codeNote  int32 = 1003
)

// logBuffer collects log output for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the logged lines containing all of the given substrings.
func (b *logBuffer) lines(subs ...string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, l := range strings.Split(b.buf.String(), "\n") {
		ok := l != ""
		for _, s := range subs {
			ok = ok && strings.Contains(l, s)
		}
		if ok {
			out = append(out, l)
		}
	}
	return out
}

func newLogger(b *logBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// echo answers with the request's ext fields, remark and body.
var echo = HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
	resp := NewResponse(req, ResponseSuccess, req.Remark)
	for k, v := range req.ExtFields {
		resp.ExtFields[k] = v
	}
	resp.Body = req.Body
	return resp
})

type testServer struct {
	*Server
	logs *logBuffer
	addr string
}

func startServer(t *testing.T, cfg ServerConfig, setup func(s *Server)) *testServer {
	t.Helper()
	logs := &logBuffer{}
	cfg.Addr = "127.0.0.1:0"
	cfg.Logger = newLogger(logs)
	s := NewServer(cfg)
	s.Register(codeEcho, "default", echo)
	if setup != nil {
		setup(s)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return &testServer{Server: s, logs: logs, addr: s.Addr().String()}
}

func newClient(t *testing.T, cfg ClientConfig) *Client {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = newLogger(&logBuffer{})
	}
	c := NewClient(cfg)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	t.Cleanup(cancel)
	return ctx
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func mustEcho(t *testing.T, c *Client, addr string) {
	t.Helper()
	resp, err := c.InvokeSync(ctxT(t), addr, NewRequest(codeEcho, map[string]string{"k": "v"}, []byte("ping")))
	if err != nil {
		t.Fatalf("echo: %v", err)
	}
	if resp.Code != ResponseSuccess || string(resp.Body) != "ping" || resp.ExtFields["k"] != "v" {
		t.Fatalf("echo answered %v", resp)
	}
}

func TestInvokeSync(t *testing.T) {
	s := startServer(t, ServerConfig{}, nil)
	for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		t.Run(st.String(), func(t *testing.T) {
			c := newClient(t, ClientConfig{Serialize: st})
			req := NewRequest(codeEcho, map[string]string{"topic": "T\x01", "queueId": "3"}, []byte("hello"))
			req.Remark = "r"
			for i := range 3 {
				resp, err := c.InvokeSync(ctxT(t), s.addr, req)
				if err != nil {
					t.Fatal(err)
				}
				if resp.Code != ResponseSuccess || resp.Remark != "r" || string(resp.Body) != "hello" ||
					resp.ExtFields["topic"] != "T\x01" || resp.ExtFields["queueId"] != "3" ||
					resp.Serialize != st || resp.Language != LangJava || resp.Version != CurrentVersion ||
					resp.Opaque != int32(i+1) {
					t.Fatalf("call %d: response %v", i, resp)
				}
			}
			if req.Opaque != 0 || req.Flag != 0 {
				t.Fatalf("request modified: %v", req)
			}
		})
	}
}

func TestClientFallsBackToJSONForWideCodes(t *testing.T) {
	got := make(chan SerializeType, 1)
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Register(RequestPopMessage, "pop", HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
			got <- req.Serialize
			return NewResponse(req, ResponseSuccess, "")
		}))
	})
	c := newClient(t, ClientConfig{Serialize: SerializeRocketMQ})
	resp, err := c.InvokeSync(ctxT(t), s.addr, NewRequest(RequestPopMessage, nil, nil))
	if err != nil || resp.Code != ResponseSuccess {
		t.Fatalf("%v %v", resp, err)
	}
	if st := <-got; st != SerializeJSON {
		t.Fatalf("POP request sent as %v", st)
	}
}

func TestInvokeAsync(t *testing.T) {
	s := startServer(t, ServerConfig{}, nil)
	c := newClient(t, ClientConfig{})
	const n = 50
	type result struct {
		i    int
		resp *Command
		err  error
	}
	results := make(chan result, n)
	for i := range n {
		req := NewRequest(codeEcho, map[string]string{"i": fmt.Sprint(i)}, nil)
		err := c.InvokeAsync(ctxT(t), s.addr, req, func(resp *Command, err error) {
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
		if r.resp.ExtFields["i"] != fmt.Sprint(r.i) || seen[r.i] {
			t.Fatalf("callback %d got %v", r.i, r.resp)
		}
		seen[r.i] = true
	}
}

// rawConn is a hand-driven peer for the tests that need to see frames.
type rawConn struct {
	t  *testing.T
	nc net.Conn
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(waitLimit))
	return &rawConn{t, nc}
}

func (r *rawConn) write(c *Command) {
	r.t.Helper()
	frame, err := Encode(nil, c)
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.nc.Write(frame); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rawConn) read() *Command {
	r.t.Helper()
	var l [4]byte
	if _, err := io.ReadFull(r.nc, l[:]); err != nil {
		r.t.Fatal(err)
	}
	frame := make([]byte, binary.BigEndian.Uint32(l[:]))
	if _, err := io.ReadFull(r.nc, frame); err != nil {
		r.t.Fatal(err)
	}
	c, err := Decode(frame)
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

func TestOnewayIsNeverAnswered(t *testing.T) {
	notes := make(chan *Command, 10)
	s := startServer(t, ServerConfig{}, func(s *Server) {
		// One worker: requests of the group are served in arrival order, so
		// the oneway request is done before the echo is served.
		s.RegisterGroup("serial", 1, 10)
		s.Register(codeNote, "serial", HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
			notes <- req
			return NewResponse(req, ResponseSuccess, "must not be sent")
		}))
		s.Register(codeEcho, "serial", echo)
	})
	raw := dialRaw(t, s.addr)
	raw.write(&Command{Code: codeNote, Opaque: 1, Flag: FlagOneway})
	raw.write(&Command{Code: codeEcho, Opaque: 2})
	if got := raw.read(); got.Opaque != 2 || got.Code != ResponseSuccess {
		t.Fatalf("first frame back is %v, want the echo response", got)
	}
	if n := <-notes; !n.IsOneway() || n.Opaque != 1 {
		t.Fatalf("handler got %v", n)
	}

	// Through the client: the oneway bit is set, and the call returns.
	c := newClient(t, ClientConfig{})
	if err := c.InvokeOneway(ctxT(t), s.addr, NewRequest(codeNote, nil, []byte("x"))); err != nil {
		t.Fatal(err)
	}
	if n := <-notes; !n.IsOneway() || string(n.Body) != "x" {
		t.Fatalf("handler got %v", n)
	}
}

func TestUnknownCode(t *testing.T) {
	s := startServer(t, ServerConfig{}, nil)
	c := newClient(t, ClientConfig{})
	resp, err := c.InvokeSync(ctxT(t), s.addr, NewRequest(999, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Code != ResponseRequestCodeNotSupported || resp.Remark != " request type 999 not supported" {
		t.Fatalf("response %v", resp)
	}
}

func TestHandlerPanic(t *testing.T) {
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Register(codePanic, "default", HandlerFunc(func(context.Context, *Conn, *Command) *Command {
			panic("kaboom")
		}))
	})
	c := newClient(t, ClientConfig{})
	resp, err := c.InvokeSync(ctxT(t), s.addr, NewRequest(codePanic, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Code != ResponseSystemError || !strings.Contains(resp.Remark, "kaboom") {
		t.Fatalf("response %v", resp)
	}
	mustEcho(t, c, s.addr)
	if len(s.logs.lines("handler panicked", "kaboom")) != 1 {
		t.Fatalf("panic not logged once:\n%s", strings.Join(s.logs.lines(), "\n"))
	}
}

// blocker is a handler that holds requests until released.
type blocker struct {
	started chan *Command
	release chan struct{}
}

func newBlocker() *blocker {
	return &blocker{started: make(chan *Command, 100), release: make(chan struct{})}
}

func (b *blocker) ServeRemoting(_ context.Context, _ *Conn, req *Command) *Command {
	b.started <- req
	<-b.release
	return NewResponse(req, ResponseSuccess, "released")
}

func TestOverload(t *testing.T) {
	b := newBlocker()
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.RegisterGroup("tiny", 1, 1)
		s.Register(codeBlock, "tiny", b)
	})
	c := newClient(t, ClientConfig{})
	results := make(chan *Command, 3)
	async := func() {
		err := c.InvokeAsync(ctxT(t), s.addr, NewRequest(codeBlock, nil, nil), func(resp *Command, err error) {
			if err != nil {
				t.Error(err)
			}
			results <- resp
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	async()
	<-b.started // the only worker is busy
	async()     // fills the queue of one
	async()     // finds the queue full
	busy := <-results
	if busy.Code != ResponseSystemBusy || busy.Remark != RemarkOverload {
		t.Fatalf("third request answered %v", busy)
	}
	close(b.release)
	for range 2 {
		if r := <-results; r.Code != ResponseSuccess {
			t.Fatalf("queued request answered %v", r)
		}
	}
}

func TestTimeoutThenLateResponse(t *testing.T) {
	b := newBlocker()
	s := startServer(t, ServerConfig{}, func(s *Server) { s.Register(codeBlock, "block", b) })
	c := newClient(t, ClientConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.InvokeSync(ctx, s.addr, NewRequest(codeBlock, nil, nil))
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want ErrTimeout", err)
	}
	// Async calls time out through their callback.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	errs := make(chan error, 1)
	if err := c.InvokeAsync(ctx2, s.addr, NewRequest(codeBlock, nil, nil), func(_ *Command, err error) { errs <- err }); err != nil {
		t.Fatal(err)
	}
	if err := <-errs; !errors.Is(err, ErrTimeout) {
		t.Fatalf("async error %v, want ErrTimeout", err)
	}
	<-b.started
	<-b.started
	close(b.release) // late responses are dropped
	mustEcho(t, c, s.addr)
}

func TestPendingCallsFailWhenConnectionBreaks(t *testing.T) {
	var serverConn atomic.Pointer[Conn]
	b := newBlocker()
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Register(codeBlock, "block", HandlerFunc(func(ctx context.Context, conn *Conn, req *Command) *Command {
			serverConn.Store(conn)
			return b.ServeRemoting(ctx, conn, req)
		}))
	})
	c := newClient(t, ClientConfig{})
	errs := make(chan error, 2)
	go func() {
		_, err := c.InvokeSync(context.Background(), s.addr, NewRequest(codeBlock, nil, nil)) // no deadline
		errs <- err
	}()
	<-b.started
	if err := c.InvokeAsync(context.Background(), s.addr, NewRequest(codeBlock, nil, nil), func(_ *Command, err error) { errs <- err }); err != nil {
		t.Fatal(err)
	}
	<-b.started
	_ = serverConn.Load().Close()
	for range 2 {
		if err := <-errs; !errors.Is(err, ErrConnClosed) {
			t.Fatalf("error %v, want ErrConnClosed", err)
		}
	}
	close(b.release)
	mustEcho(t, c, s.addr) // reconnects
}

func TestServerInitiatedRequests(t *testing.T) {
	conns := make(chan *Conn, 1)
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Register(RequestHeartBeat, "default", HandlerFunc(func(_ context.Context, conn *Conn, req *Command) *Command {
			conns <- conn
			return NewResponse(req, ResponseSuccess, "")
		}))
	})
	c := newClient(t, ClientConfig{})
	notified := make(chan *Command, 1)
	c.Register(RequestGetConsumerRunningInfo, HandlerFunc(func(_ context.Context, conn *Conn, req *Command) *Command {
		// A handler may call the server back on the same connection.
		if _, err := conn.InvokeSync(ctxT(t), NewRequest(codeEcho, nil, []byte("nested"))); err != nil {
			t.Error(err)
		}
		resp := NewResponse(req, ResponseSuccess, "")
		resp.Body = []byte(`{"running":true}`)
		return resp
	}))
	c.Register(RequestNotifyConsumerIDsChanged, HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
		notified <- req
		return NewResponse(req, ResponseSuccess, "must not be sent")
	}))
	if _, err := c.InvokeSync(ctxT(t), s.addr, NewRequest(RequestHeartBeat, nil, nil)); err != nil {
		t.Fatal(err)
	}
	conn := <-conns

	resp, err := conn.InvokeSync(ctxT(t), NewRequest(RequestGetConsumerRunningInfo, map[string]string{"consumerGroup": "g"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Code != ResponseSuccess || string(resp.Body) != `{"running":true}` {
		t.Fatalf("client answered %v", resp)
	}

	if err := conn.InvokeOneway(NewRequest(RequestNotifyConsumerIDsChanged, map[string]string{"consumerGroup": "g"}, nil)); err != nil {
		t.Fatal(err)
	}
	if n := <-notified; !n.IsOneway() || n.ExtFields["consumerGroup"] != "g" {
		t.Fatalf("client got %v", n)
	}

	resp, err = conn.InvokeSync(ctxT(t), NewRequest(RequestCheckTransactionState, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Code != ResponseRequestCodeNotSupported {
		t.Fatalf("client answered unknown code with %v", resp)
	}
}

func TestOnConnCloseAndIdleTimeout(t *testing.T) {
	closedIDs := make(chan uint64, 10)
	s := startServer(t, ServerConfig{IdleTimeout: 200 * time.Millisecond}, func(s *Server) {
		s.OnConnClose(func(c *Conn) { closedIDs <- c.ID() })
	})
	c := newClient(t, ClientConfig{IdleTimeout: -1})
	mustEcho(t, c, s.addr)
	// The server closes the idle connection and reports it once.
	select {
	case <-closedIDs:
	case <-time.After(waitLimit):
		t.Fatal("idle connection not closed")
	}
	waitFor(t, "idle log line", func() bool { return len(s.logs.lines("idle")) == 1 })
	// The client notices and reconnects on the next call.
	waitFor(t, "client to drop the connection", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.conns) == 0
	})
	mustEcho(t, c, s.addr)
	c.CloseAddr(s.addr)
	select {
	case <-closedIDs:
	case <-time.After(waitLimit):
		t.Fatal("closed connection not reported")
	}
	select {
	case id := <-closedIDs:
		t.Fatalf("connection %d reported twice or unexpectedly", id)
	default:
	}
}

func TestWriteTimeoutClosesConnectionThatDoesNotRead(t *testing.T) {
	closed := make(chan struct{})
	big := bytes.Repeat([]byte("x"), 1<<20)
	s := startServer(t, ServerConfig{WriteTimeout: 100 * time.Millisecond, IdleTimeout: -1}, func(s *Server) {
		s.Register(codeNote, "default", HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
			resp := NewResponse(req, ResponseSuccess, "")
			resp.Body = big
			return resp
		}))
		s.OnConnClose(func(*Conn) { close(closed) })
	})
	raw := dialRaw(t, s.addr)
	// Ask for far more than the socket buffers hold, and never read.
	go func() {
		for i := range 256 {
			frame, _ := Encode(nil, &Command{Code: codeNote, Opaque: int32(i)})
			if _, err := raw.nc.Write(frame); err != nil {
				return
			}
		}
	}()
	select {
	case <-closed:
	case <-time.After(waitLimit):
		t.Fatal("connection that does not read was not closed")
	}
	if len(s.logs.lines("write timed out")) != 1 {
		t.Fatalf("write timeout not logged once:\n%s", strings.Join(s.logs.lines(), "\n"))
	}
}

func TestBadFramesCloseOnlyThatConnection(t *testing.T) {
	okHeader := []byte(`{"code":1000,"flag":0,"language":"GO","opaque":1,"version":317}`)
	frame := func(word uint32, header []byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(4+len(header)))
		b = binary.BigEndian.AppendUint32(b, word)
		return append(b, header...)
	}
	tests := []struct {
		name  string
		bytes []byte
		want  string // in the log line
	}{
		{"frame over the limit", binary.BigEndian.AppendUint32(nil, 1<<20+1), "exceeds the limit"},
		{"negative length", []byte{0xff, 0xff, 0xff, 0xfe}, "less than the 4-byte"},
		{"length below 4", []byte{0, 0, 0, 3, 0, 0, 0}, "less than the 4-byte"},
		{"header length beyond frame", frame(uint32(len(okHeader)+1), okHeader), "exceeds the"},
		{"unknown serialize type", frame(2<<24|uint32(len(okHeader)), okHeader), "serialize type byte is 2"},
		{"undecodable JSON header", frame(4, []byte(`{"co`)), "JSON header"},
		{"non-string ext value", frame(uint32(len(`{"extFields":{"a":[]}}`)), []byte(`{"extFields":{"a":[]}}`)), "extFields"},
		{"bad binary header", frame(1<<24|21, make([]byte, 21)[:21:21]), ""},
	}
	// The binary header above is valid (all zero); make its remark length lie.
	bad := tests[len(tests)-1].bytes
	bad[8+13+3] = 9
	tests[len(tests)-1].want = "remark length 9"

	s := startServer(t, ServerConfig{MaxFrameSize: 1 << 20}, nil)
	good := newClient(t, ClientConfig{})
	mustEcho(t, good, s.addr)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := dialRaw(t, s.addr)
			local := raw.nc.LocalAddr().String()
			if _, err := raw.nc.Write(tt.bytes); err != nil {
				t.Fatal(err)
			}
			// The server closes the connection without answering.
			if n, err := raw.nc.Read(make([]byte, 1)); err == nil {
				t.Fatalf("read %d bytes, want the connection closed", n)
			}
			lines := s.logs.lines("bad frame", "remote="+local)
			if len(lines) != 1 || !strings.Contains(lines[0], tt.want) {
				t.Fatalf("log lines for %s: %q, want one containing %q", local, lines, tt.want)
			}
			mustEcho(t, good, s.addr) // everyone else is still served
		})
	}
}

func TestGracefulShutdownDrains(t *testing.T) {
	b := newBlocker()
	s := startServer(t, ServerConfig{}, func(s *Server) { s.Register(codeBlock, "block", b) })
	c := newClient(t, ClientConfig{})
	inflight := make(chan *Command, 1)
	if err := c.InvokeAsync(ctxT(t), s.addr, NewRequest(codeBlock, nil, nil), func(resp *Command, err error) {
		if err != nil {
			t.Error(err)
		}
		inflight <- resp
	}); err != nil {
		t.Fatal(err)
	}
	<-b.started

	shutdownDone := make(chan error, 1)
	go func() { shutdownDone <- s.Shutdown(ctxT(t)) }()

	// New requests are refused while the server drains.
	waitFor(t, "requests to be refused", func() bool {
		resp, err := c.InvokeSync(ctxT(t), s.addr, NewRequest(codeEcho, nil, nil))
		if err != nil {
			t.Fatal(err)
		}
		return resp.Code == ResponseServiceNotAvailable && resp.Remark == RemarkShuttingDown
	})
	select {
	case err := <-shutdownDone:
		t.Fatalf("Shutdown returned %v while a request was in flight", err)
	default:
	}
	close(b.release)
	if resp := <-inflight; resp.Code != ResponseSuccess || resp.Remark != "released" {
		t.Fatalf("in-flight request answered %v", resp)
	}
	if err := <-shutdownDone; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	// The connection is closed and nobody listens any more.
	_, err := c.InvokeSync(ctxT(t), s.addr, NewRequest(codeEcho, nil, nil))
	if err == nil {
		t.Fatal("call after Shutdown succeeded")
	}
}

func TestShutdownDeadline(t *testing.T) {
	b := newBlocker()
	s := startServer(t, ServerConfig{}, func(s *Server) { s.Register(codeBlock, "block", b) })
	defer close(b.release)
	c := newClient(t, ClientConfig{})
	errs := make(chan error, 1)
	go func() {
		_, err := c.InvokeSync(context.Background(), s.addr, NewRequest(codeBlock, nil, nil))
		errs <- err
	}()
	<-b.started
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want DeadlineExceeded", err)
	}
	if err := <-errs; !errors.Is(err, ErrConnClosed) {
		t.Fatalf("pending call failed with %v, want ErrConnClosed", err)
	}
}

func TestResponseTheBinaryFormCannotCarryGoesAsJSON(t *testing.T) {
	long := strings.Repeat("k", 1<<15)
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Register(codeNote, "default", HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
			resp := NewResponse(req, ResponseSuccess, "")
			resp.ExtFields[long] = "v"
			return resp
		}))
	})
	c := newClient(t, ClientConfig{Serialize: SerializeRocketMQ})
	resp, err := c.InvokeSync(ctxT(t), s.addr, NewRequest(codeNote, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Serialize != SerializeJSON || resp.ExtFields[long] != "v" {
		t.Fatalf("response %v", resp.Serialize)
	}
}

func TestLargeFrames(t *testing.T) {
	s := startServer(t, ServerConfig{}, nil)
	c := newClient(t, ClientConfig{})
	body := bytes.Repeat([]byte("0123456789abcdef"), 3<<20/16) // 3 MiB: read in growing steps
	resp, err := c.InvokeSync(ctxT(t), s.addr, NewRequest(codeEcho, nil, body))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(resp.Body, body) {
		t.Fatalf("echoed %d bytes, want %d", len(resp.Body), len(body))
	}
}

// TestEchoMixedSizes echoes bodies of sizes around the read chunk and the
// zero-copy threshold from concurrent callers on one connection, so that
// frames share read chunks and responses mix copied and uncopied bodies.
func TestEchoMixedSizes(t *testing.T) {
	s := startServer(t, ServerConfig{ReadBufferSize: 8 << 10}, nil)
	sizes := []int{0, 1, 100, zeroCopyMin - 1, zeroCopyMin, zeroCopyMin + 1, 8<<10 - 30, 8 << 10, 20 << 10}
	for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		t.Run(st.String(), func(t *testing.T) {
			c := newClient(t, ClientConfig{Serialize: st, ReadBufferSize: 8 << 10})
			errs := make(chan error, 4*len(sizes))
			for w := range 4 {
				go func() {
					for i, n := range sizes {
						body := bytes.Repeat([]byte{byte('a' + (w+i)%26)}, n)
						resp, err := c.InvokeSync(ctxT(t), s.addr, NewRequest(codeEcho, nil, body))
						switch {
						case err != nil:
							errs <- err
						case !bytes.Equal(resp.Body, body):
							errs <- fmt.Errorf("worker %d size %d: echoed %d bytes, not the same", w, n, len(resp.Body))
						default:
							errs <- nil
						}
					}
				}()
			}
			for range 4 * len(sizes) {
				if err := <-errs; err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// TestResponseWrittenCallback checks that a response's Written callback runs
// once its body is no longer used, for copied and uncopied bodies alike, and
// that the client receives the body intact.
func TestResponseWrittenCallback(t *testing.T) {
	const code = 4242
	for _, n := range []int{10, zeroCopyMin, 100 << 10} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			calls := make(chan struct{}, 2)
			body := bytes.Repeat([]byte("z"), n)
			s := startServer(t, ServerConfig{}, func(s *Server) {
				s.Register(code, "default", HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
					resp := NewResponse(req, ResponseSuccess, "")
					resp.Body = body
					resp.Written = func() { calls <- struct{}{} }
					return resp
				}))
			})
			c := newClient(t, ClientConfig{})
			resp, err := c.InvokeSync(ctxT(t), s.addr, NewRequest(code, nil, nil))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(resp.Body, body) {
				t.Fatalf("got %d bytes, want %d", len(resp.Body), n)
			}
			select {
			case <-calls:
			case <-time.After(waitLimit):
				t.Fatal("Written was not called")
			}
			if len(calls) != 0 {
				t.Fatal("Written called more than once")
			}
		})
	}
}

// TestTransientHandlersReuseMapsSafely mixes requests of a transient handler
// (whose maps are reused) with those of a handler that keeps every map it
// gets and one that keeps the request to answer later: the kept maps must
// never change, and every answer must carry exactly its own request's fields.
func TestTransientHandlersReuseMapsSafely(t *testing.T) {
	const codeTransient, codeKeep, codeLater = 4300, 4301, 4302
	var mu sync.Mutex
	var kept []map[string]string
	var later []*Command
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.RegisterTransient(codeTransient, "default", echo)
		s.Register(codeKeep, "default", HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
			mu.Lock()
			kept = append(kept, req.ExtFields)
			mu.Unlock()
			return NewResponse(req, ResponseSuccess, "")
		}))
		s.RegisterTransient(codeLater, "default", HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
			mu.Lock()
			later = append(later, req)
			mu.Unlock()
			return nil
		}))
	})
	for k, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		t.Run(st.String(), func(t *testing.T) {
			c := newClient(t, ClientConfig{Serialize: st})
			// Oneway frames still queued when the client closes are dropped:
			// wait for them before the subtest ends.
			defer waitFor(t, "held requests", func() bool { mu.Lock(); defer mu.Unlock(); return len(later) == 50*(k+1) })
			for i := range 50 {
				id := strconv.Itoa(i)
				ext := map[string]string{"i": id}
				if i%3 == 0 {
					ext["extra"+id] = "x"
				}
				resp, err := c.InvokeSync(ctxT(t), s.addr, NewRequest(codeTransient, ext, nil))
				if err != nil {
					t.Fatal(err)
				}
				if len(resp.ExtFields) != len(ext) || resp.ExtFields["i"] != id {
					t.Fatalf("request %d answered with %v", i, resp.ExtFields)
				}
				if _, err := c.InvokeSync(ctxT(t), s.addr, NewRequest(codeKeep, map[string]string{"keep": id}, nil)); err != nil {
					t.Fatal(err)
				}
				if err := c.InvokeOneway(ctxT(t), s.addr, NewRequest(codeLater, map[string]string{"later": id}, nil)); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	for i, m := range kept {
		if len(m) != 1 || m["keep"] != strconv.Itoa(i%50) {
			t.Fatalf("kept map %d changed: %v", i, m)
		}
	}
	seen := map[string]int{} // held requests run in any order
	for _, req := range later {
		if len(req.ExtFields) != 1 {
			t.Fatalf("held request changed: %v", req.ExtFields)
		}
		seen[req.ExtFields["later"]]++
	}
	for i := range 50 {
		if n := seen[strconv.Itoa(i)]; n != 2 {
			t.Fatalf("held requests with later=%d: %d, want 2 (%v)", i, n, seen)
		}
	}
}

// TestReuseHeadersRecyclesFieldsSafely is the same for the Fields lists of
// RegisterFields routes marked with ReuseHeaders: a handler that answers
// with the request's own list and keeps its strings, mixed with one that
// keeps requests to answer later. Every answer carries exactly its own
// request's fields, kept strings never change, and the held requests keep
// their lists.
func TestReuseHeadersRecyclesFieldsSafely(t *testing.T) {
	const codeReuse, codeLater = 4310, 4311
	var mu sync.Mutex
	var keptValues []string
	var later []*Command
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.RegisterFields(codeReuse, "default", HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
			mu.Lock()
			for _, f := range req.Fields {
				if f.Key == "i" {
					keptValues = append(keptValues, f.Value)
				}
			}
			mu.Unlock()
			return NewFieldsResponse(req, ResponseSuccess, "", req.Fields)
		}))
		s.ReuseHeaders(codeReuse)
		s.RegisterFields(codeLater, "default", HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
			mu.Lock()
			later = append(later, req)
			mu.Unlock()
			return nil
		}))
		s.ReuseHeaders(codeLater)
	})
	const n = 50
	for k, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		t.Run(st.String(), func(t *testing.T) {
			c := newClient(t, ClientConfig{Serialize: st})
			defer waitFor(t, "held requests", func() bool { mu.Lock(); defer mu.Unlock(); return len(later) == n*(k+1) })
			for i := range n {
				id := strconv.Itoa(i)
				fields := []ExtField{{"i", id}}
				for j := range i % 20 { // lists of different lengths
					fields = append(fields, ExtField{"f" + strconv.Itoa(j), id})
				}
				req := NewRequest(codeReuse, nil, nil)
				req.Fields = fields
				resp, err := c.InvokeSync(ctxT(t), s.addr, req)
				if err != nil {
					t.Fatal(err)
				}
				if want := fieldsMap(fields); !maps.Equal(resp.ExtFields, want) {
					t.Fatalf("request %d answered with %v, want %v", i, resp.ExtFields, want)
				}
				held := NewRequest(codeLater, nil, nil)
				held.Fields = []ExtField{{"later", id}, {"pad", strings.Repeat("p", i+1)}}
				if err := c.InvokeOneway(ctxT(t), s.addr, held); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	for i, v := range keptValues {
		if v != strconv.Itoa(i%n) {
			t.Fatalf("kept value %d changed to %q", i, v)
		}
	}
	seen := map[string]int{}
	for _, req := range later {
		if len(req.Fields) != 2 || req.Fields[0].Key != "later" {
			t.Fatalf("held request changed: %v", req.Fields)
		}
		i, _ := strconv.Atoi(req.Fields[0].Value)
		if req.Fields[1].Value != strings.Repeat("p", i+1) {
			t.Fatalf("held request %d changed: %v", i, req.Fields)
		}
		seen[req.Fields[0].Value]++
	}
	for i := range n {
		if c := seen[strconv.Itoa(i)]; c != 2 {
			t.Fatalf("held requests with later=%d: %d, want 2", i, c)
		}
	}
}

// TestExtPoolFields checks the pooled Fields lists: a released list comes
// back empty with its room, cleared so that it keeps no old strings, and
// lists too long to pool, or of a nil pool, are plain.
func TestExtPoolFields(t *testing.T) {
	p := &extPool{}
	fs, box := p.getFields(3)
	if box == nil || len(fs) != 0 || cap(fs) < minPooledFields {
		t.Fatalf("getFields(3) = len %d cap %d box %v", len(fs), cap(fs), box)
	}
	fs = append(fs, ExtField{"k", "v"}, ExtField{"k2", "v2"})
	req := &Command{Fields: fs, fieldsBox: box}
	p.release(req)
	if req.Fields != nil || req.fieldsBox != nil {
		t.Fatalf("release left %v", req)
	}
	for i, f := range (*box)[:cap(*box)] {
		if f != (ExtField{}) {
			t.Fatalf("released list keeps field %d: %v", i, f)
		}
	}
	if _, box := p.getFields(maxPooledFields + 1); box != nil {
		t.Error("a list longer than maxPooledFields is pooled")
	}
	var nilPool *extPool
	if fs, box := nilPool.getFields(2); box != nil || cap(fs) != 2 {
		t.Errorf("nil pool getFields = cap %d box %v", cap(fs), box)
	}
	nilPool.release(&Command{Fields: []ExtField{{"a", "b"}}}) // must not panic
}

// TestRegisterFields checks that requests of a RegisterFields route carry
// their custom header in Fields, in header order and without a map, in both
// serializations, that a response's Fields reach the client like ExtFields,
// and that other routes still get maps.
func TestRegisterFields(t *testing.T) {
	const codeFields int32 = 1010
	var mu sync.Mutex
	var seen []*Command
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.RegisterFields(codeFields, "default", HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
			mu.Lock()
			seen = append(seen, req)
			mu.Unlock()
			fields := append([]ExtField(nil), req.Fields...)
			return NewFieldsResponse(req, ResponseSuccess, "", append(fields, ExtField{"added", "1"}))
		}))
	})
	for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		t.Run(st.String(), func(t *testing.T) {
			r := dialRaw(t, s.addr)
			req := &Command{Code: codeFields, Opaque: 7, Serialize: st, Fields: []ExtField{{"b", "T"}, {"topic", "L"}, {"e", "3"}}}
			r.write(req)
			resp := r.read()
			want := map[string]string{"b": "T", "topic": "L", "e": "3", "added": "1"}
			if resp.Code != ResponseSuccess || resp.Opaque != 7 || resp.Serialize != st || !maps.Equal(resp.ExtFields, want) {
				t.Fatalf("response %v, want ext %v", resp, want)
			}
			mu.Lock()
			got := seen[len(seen)-1]
			mu.Unlock()
			if got.ExtFields != nil || !slices.Equal(got.Fields, req.Fields) {
				t.Fatalf("handler saw %v, want fields %v and no map", got, req.Fields)
			}
			r.write(&Command{Code: codeEcho, Opaque: 8, Serialize: st, ExtFields: map[string]string{"k": "v"}})
			if resp := r.read(); resp.Opaque != 8 || resp.ExtFields["k"] != "v" {
				t.Fatalf("echo through a map route answered %v", resp)
			}
		})
	}
}

// TestResponsesStayWholeWhenThePeerReadsLate pipelines requests of mixed
// sizes and reads the responses only once all are sent: responses larger
// than the socket buffers are written in part directly and finished by the
// writer while others queue behind them, and every frame must still arrive
// whole and unmixed.
func TestResponsesStayWholeWhenThePeerReadsLate(t *testing.T) {
	s := startServer(t, ServerConfig{}, nil)
	r := dialRaw(t, s.addr)
	sizes := []int{12 << 20, 10, 1 << 20, 5 << 10, 0, 9 << 20, 100}
	bodies := map[int32][]byte{}
	for round := range 3 {
		for i, n := range sizes {
			op := int32(round*len(sizes) + i + 1)
			body := bytes.Repeat([]byte{byte('a' + int(op)%26)}, n)
			bodies[op] = body
			r.write(&Command{Code: codeEcho, Opaque: op, Serialize: SerializeRocketMQ, Body: body})
			if i%2 == 0 {
				continue // pipeline some, answer others one by one
			}
			for range i%2 + 1 {
				resp := r.read()
				if want, ok := bodies[resp.Opaque]; !ok || !bytes.Equal(resp.Body, want) {
					t.Fatalf("response opaque %d: %d bytes, not the body sent", resp.Opaque, len(resp.Body))
				}
				delete(bodies, resp.Opaque)
			}
		}
	}
	for len(bodies) > 0 {
		resp := r.read()
		if want, ok := bodies[resp.Opaque]; !ok || !bytes.Equal(resp.Body, want) {
			t.Fatalf("response opaque %d: %d bytes, not the body sent", resp.Opaque, len(resp.Body))
		}
		delete(bodies, resp.Opaque)
	}
}

// TestReuseBodies sends many requests with distinct bodies from parallel
// callers to a handler that only borrows them, and checks that every
// handler saw its own body intact while read buffers were reused.
// TestServeInline: a request of an inline route that arrives alone is
// served by its connection's reader, so it is answered even while every
// worker of its group is busy; lent bodies are given back as usual.
func TestServeInline(t *testing.T) {
	const codeInline = 4101
	for _, lent := range []bool{false, true} {
		t.Run(fmt.Sprintf("lent=%v", lent), func(t *testing.T) {
			b := newBlocker()
			s := startServer(t, ServerConfig{}, func(s *Server) {
				s.RegisterGroup("tiny", 1, 1)
				s.Register(codeBlock, "tiny", b)
				s.Register(codeInline, "tiny", echo)
				if lent {
					s.ReuseBodies(codeInline)
				}
				s.ServeInline(codeInline)
			})
			c := newClient(t, ClientConfig{})
			blocked := make(chan *Command, 1)
			err := c.InvokeAsync(ctxT(t), s.addr, NewRequest(codeBlock, nil, nil), func(resp *Command, err error) {
				if err != nil {
					t.Error(err)
				}
				blocked <- resp
			})
			if err != nil {
				t.Fatal(err)
			}
			<-b.started // the group's only worker is busy
			for i := range 3 {
				body := []byte(strconv.Itoa(i))
				resp, err := c.InvokeSync(ctxT(t), s.addr, NewRequest(codeInline, map[string]string{"i": string(body)}, body))
				if err != nil {
					t.Fatalf("inline request %d: %v", i, err)
				}
				if resp.Code != ResponseSuccess || string(resp.Body) != string(body) || resp.ExtFields["i"] != string(body) {
					t.Fatalf("inline request %d answered %v", i, resp)
				}
			}
			select {
			case r := <-blocked:
				t.Fatalf("blocked request answered early: %v", r)
			default:
			}
			close(b.release)
			if r := <-blocked; r == nil || r.Code != ResponseSuccess {
				t.Fatalf("blocked request answered %v", r)
			}
		})
	}
}

func TestReuseBodies(t *testing.T) {
	for _, inline := range []bool{false, true} {
		t.Run(fmt.Sprintf("inline=%v", inline), func(t *testing.T) { testReuseBodies(t, inline) })
	}
}

func testReuseBodies(t *testing.T, inline bool) {
	const codeSum = 4100
	check := HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
		want := req.ExtFields["b"]
		for i, c := range req.Body {
			if c != want[0] {
				return NewResponse(req, ResponseSystemError, fmt.Sprintf("byte %d is %q, want %q", i, c, want))
			}
		}
		return NewResponse(req, ResponseSuccess, strconv.Itoa(len(req.Body)))
	})
	s := startServer(t, ServerConfig{ReadBufferSize: 4096}, func(s *Server) {
		s.Register(codeSum, "sum", check)
		s.ReuseBodies(codeSum)
		if inline {
			s.ServeInline(codeSum)
		}
	})
	c := newClient(t, ClientConfig{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				b := byte('a' + (g*300+i)%26)
				size := 1 + (g*977+i*131)%3000 // up to and past a quarter of a chunk
				req := NewRequest(codeSum, map[string]string{"b": string(b)}, bytes.Repeat([]byte{b}, size))
				resp, err := c.InvokeSync(ctxT(t), s.addr, req)
				if err != nil {
					errs <- err
					return
				}
				if resp.Code != ResponseSuccess || resp.Remark != strconv.Itoa(size) {
					errs <- fmt.Errorf("request %d/%d: code %d: %s", g, i, resp.Code, resp.Remark)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
