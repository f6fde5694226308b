package remoting

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
)

// Handler serves requests of one or more request codes.
//
// ServeRemoting returns the response, or nil when the request is oneway or
// when the handler keeps the request and answers later with
// conn.WriteResponse (long polling of pulls does this). Responses to oneway
// requests are never sent. ctx is the connection's context: it is cancelled
// when the connection closes. The handler owns req, body included, and may
// keep it; the body is a slice of a read buffer shared with neighbouring
// frames, so keeping it keeps up to ServerConfig.ReadBufferSize bytes alive.
// For codes marked with Server.ReuseBodies the body is only lent: the
// handler must not use it, nor any slice of it, once it returned.
//
// The response's Body is written as it is, possibly after ServeRemoting
// returned and without being copied: the handler must not modify it once it
// returned the response (the same holds for Conn.WriteResponse).
//
// A panic in a handler is recovered: the request is answered with
// ResponseSystemError and the server keeps serving.
type Handler interface {
	ServeRemoting(ctx context.Context, conn *Conn, req *Command) *Command
}

// HandlerFunc adapts a function to the Handler interface.
type HandlerFunc func(ctx context.Context, conn *Conn, req *Command) *Command

// ServeRemoting calls f.
func (f HandlerFunc) ServeRemoting(ctx context.Context, conn *Conn, req *Command) *Command {
	return f(ctx, conn, req)
}

// Remarks of the generic responses, as upstream words them.
const (
	// RemarkOverload is the remark of ResponseSystemBusy when a handler
	// group's queue is full.
	RemarkOverload = "[OVERLOAD]system busy, start flow control for a while"
	// RemarkShuttingDown is the remark of ResponseServiceNotAvailable for
	// requests that arrive while the server shuts down.
	RemarkShuttingDown = "server is shutting down"
)

// notSupportedRemark is upstream's remark for an unknown request code.
func notSupportedRemark(code int32) string {
	return " request type " + strconv.Itoa(int(code)) + " not supported"
}

// task is one request waiting for a worker.
type task struct {
	conn      *Conn
	req       *Command
	h         Handler
	transient bool // req's map or Fields list may be reused once a response was encoded
	// lease is the chunk req's frame is lent from (see ReuseBodies), given
	// back once the handler returned; nil when the frame is not lent.
	lease *readChunk
}

// workerGroup is a bounded pool: a fixed number of workers serving a queue of
// bounded length. When the queue is full, requests are answered SYSTEM_BUSY
// instead of waiting, as upstream's thread pools do.
type workerGroup struct {
	name    string
	workers int
	tasks   chan task
}

func newWorkerGroup(name string, workers, queue int) *workerGroup {
	if workers < 1 {
		workers = 1
	}
	if queue < 0 {
		queue = 0
	}
	return &workerGroup{name: name, workers: workers, tasks: make(chan task, queue)}
}

// start runs the workers; each calls done after every task. They exit when
// tasks is closed.
func (g *workerGroup) start(log *slog.Logger, done func()) {
	for range g.workers {
		go func() {
			for t := range g.tasks {
				serve(log, t)
				if done != nil {
					done()
				}
			}
		}()
	}
}

// offer queues t without blocking; false means the queue is full.
// The request counts in its connection's busy until serve answered it.
func (g *workerGroup) offer(t task) bool {
	t.conn.busy.Add(1)
	select {
	case g.tasks <- t:
		return true
	default:
		t.conn.busy.Add(-1)
		return false
	}
}

// serve runs one handler and writes its response unless the request is oneway.
func serve(log *slog.Logger, t task) {
	resp, panicked := callHandler(log, t)
	if t.lease != nil && !panicked {
		// The handler is done with the body (ReuseBodies); after a
		// panic that is not known, so the chunk is left to the GC.
		t.lease.release()
	}
	// Served: from now on this request no longer holds back direct
	// writes of responses (its own included).
	t.conn.busy.Add(-1)
	if resp == nil {
		return // the handler may have kept req to answer later
	}
	if !t.req.IsOneway() {
		// The response always answers this request, whatever the handler
		// put in Opaque and Flag.
		if err := t.conn.send(resp, resp.Serialize, t.req.Opaque, resp.Flag|FlagResponse); err != nil {
			log.Debug("remoting: response not sent", "conn", t.conn.id, "code", t.req.Code,
				"opaque", t.req.Opaque, "err", err)
		}
	}
	if t.transient && !panicked {
		// The response is encoded (send copies the header), so nothing
		// uses the request's map or list any more; see ReuseHeaders.
		t.conn.opts.maps.release(t.req)
	}
}

func callHandler(log *slog.Logger, t task) (resp *Command, panicked bool) {
	defer func() {
		if p := recover(); p != nil {
			panicked = true
			log.Error("remoting: handler panicked", "conn", t.conn.id, "remote", t.conn.nc.RemoteAddr().String(),
				"code", t.req.Code, "opaque", t.req.Opaque, "panic", p, "stack", string(debug.Stack()))
			resp = NewResponse(t.req, ResponseSystemError, fmt.Sprintf("panic while serving request code %d: %v", t.req.Code, p))
		}
	}()
	return t.h.ServeRemoting(t.conn.ctx, t.conn, t.req), false
}

// reply answers req on c with a generic response, unless req is oneway.
func reply(log *slog.Logger, c *Conn, req *Command, code int32, remark string) {
	if req.IsOneway() {
		return
	}
	if err := c.WriteResponse(NewResponse(req, code, remark)); err != nil {
		log.Debug("remoting: response not sent", "conn", c.id, "code", req.Code, "err", err)
	}
}
