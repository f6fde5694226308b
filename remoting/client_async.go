package remoting

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Asynchronous calls with shared completion.
//
// InvokeAsync gives every call a runtime timer (context.AfterFunc) and every
// response a goroutine of its own; under load that was a fifth of a
// producer's CPU. The calls made with InvokeAsyncInline instead share, per
// connection, one buffered channel that the connection's reader completes
// them into and one goroutine (the dispatcher) that runs their callbacks and,
// every sweepInterval, fails the calls whose context is done.

// sweepInterval is how often a dispatcher looks for calls whose context is
// done: such calls fail up to this much later than their context ends.
const sweepInterval = 10 * time.Millisecond

// inlineQueue is the default capacity of a connection's completion channel
// and so the most calls that may wait on it at once; further calls are
// completed on a goroutine each, as InvokeAsync's are.
const inlineQueue = 4096

// asyncConn is the shared completion of one connection's inline calls.
type asyncConn struct {
	conn *Conn
	// ch receives the completions of the calls in pending. Invariant: at
	// most cap(ch) calls whose completion may still be sent to ch exist
	// (inflight counts them), so neither the connection's reader nor its
	// closing ever blocks on ch.
	ch    chan callResult
	queue int        // capacity of ch
	start sync.Once  // makes ch and starts the dispatcher at the first call
	calls *sync.Pool // of *inlineCall, shared by the client's connections

	mu       sync.Mutex
	pending  map[int32]*inlineCall // by opaque; guarded by mu
	inflight int                   // guarded by mu; see ch
	closed   bool                  // guarded by mu: the dispatcher finished
	// idle says the dispatcher stopped its sweep ticker because nothing
	// was pending; the call that ends the idle period sends on wake.
	idle bool // guarded by mu
	wake chan struct{}
}

// inlineCall is an outstanding inline call. Its call is what the connection
// holds; whoever removes that from the connection completes it (see call).
type inlineCall struct {
	cl   call
	cb   func(*Command, error)
	ctx  context.Context
	done <-chan struct{} // ctx.Done(), polled by sweep (cheaper than ctx.Err)
	op   int32
	code int32
	// overflow says the call was made when ch was full: the connection
	// completes it on a goroutine of its own (see call), and it is not
	// counted in inflight.
	overflow bool
}

// newAsyncConn returns the state of a connection's inline calls, with room
// for queue completions, taking inlineCalls from calls (a pool of the
// client's); the caller sets conn.
func newAsyncConn(queue int, calls *sync.Pool) *asyncConn {
	return &asyncConn{queue: queue, calls: calls,
		pending: make(map[int32]*inlineCall), wake: make(chan struct{}, 1)}
}

// wantsFields tells the connection's decoder which custom headers go to
// Command.Fields: those of the responses to inline calls.
func (a *asyncConn) wantsFields(cmd *Command) bool {
	if !cmd.IsResponse() {
		return false
	}
	a.mu.Lock()
	_, ok := a.pending[cmd.Opaque]
	a.mu.Unlock()
	return ok
}

// InvokeAsyncInline sends req to addr and returns once it is queued, like
// InvokeAsync, and calls cb exactly once with the response or the error,
// unless it returns an error itself. It differs from InvokeAsync in three
// ways that make it cheaper:
//
//   - the response's custom header is in resp.Fields, in header order,
//     and resp.ExtFields is nil: decoding it builds no map.
//   - cb runs on the connection's callback goroutine, which runs the
//     callbacks of the connection's inline calls one after another in the
//     order their responses arrived. cb should therefore return quickly; a
//     callback that blocks delays the others (the connection keeps reading
//     regardless, so it may wait for other calls, even synchronous ones on
//     the same connection).
//   - a call whose ctx ends fails within sweepInterval (10 ms) after that,
//     not at once.
//
// When ext is not nil it is the request's custom header (req.ExtFields is
// then ignored) and the request goes in the ROCKETMQ binary serialization,
// whatever the client's configuration says; ext may be reused once
// InvokeAsyncInline returned. req's body is copied into the frame, so req
// may be reused once it returned, too; except that with ext, when
// req.Written is set and the body is 4 KiB or more, the body is written
// from where it is, as for responses (see Command.Written): it must then
// stay unmodified until Written is called, which may be never (the
// connection closed first) and may be after cb ran. The same holds for
// InvokeSyncExt and InvokeOnewayExt.
func (c *Client) InvokeAsyncInline(ctx context.Context, addr string, req *Command, ext *BinaryExt, cb func(*Command, error)) error {
	d, err := c.dialed(ctx, addr)
	if err != nil {
		return err
	}
	return d.async.invoke(ctx, req, ext, c.serializeFor(req), cb)
}

func (a *asyncConn) invoke(ctx context.Context, req *Command, ext *BinaryExt, st SerializeType, cb func(*Command, error)) error {
	c := a.conn
	a.start.Do(func() {
		// Made here, not with the connection: most connections (name
		// servers, brokers' own) never make an inline call.
		a.ch = make(chan callResult, a.queue)
		go a.dispatch()
	})
	op := c.nextOpaque()
	ic, ok := a.calls.Get().(*inlineCall)
	if !ok {
		ic = new(inlineCall)
	}
	ic.cl.ch = a.ch
	ic.cb, ic.ctx, ic.done, ic.op, ic.code = cb, ctx, ctx.Done(), op, req.Code

	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		a.release(ic)
		return c.closedErr()
	}
	if a.inflight < cap(a.ch) {
		a.inflight++
	} else {
		// Too many waiting: this call's completion takes a goroutine
		// of its own instead of room in ch.
		ic.overflow = true
		ic.cl.ch = nil
		ic.cl.cb = func(resp *Command, err error) { a.completeOverflow(ic, resp, err) }
	}
	// In pending before the connection can complete it, so the dispatcher
	// always finds it.
	a.pending[op] = ic
	wake := a.idle
	a.idle = false
	a.mu.Unlock()
	if wake {
		a.wake <- struct{}{} // never blocks: sent once per idle period, capacity 1
	}

	if err := c.register(op, &ic.cl); err != nil {
		if a.forget(ic) {
			return err
		}
		return nil // the dispatcher's shutdown took it: cb gets the error
	}
	if err := c.sendExt(req, ext, st, op, req.Flag&^(FlagResponse|FlagOneway)); err != nil {
		if c.unregister(op, &ic.cl) && a.forget(ic) {
			return err
		}
		return nil // closed concurrently: cb gets the error
	}
	return nil
}

// forget removes a call the connection never completed nor will, unless the
// dispatcher's shutdown took it first (then it reports false and the
// shutdown completes the call).
func (a *asyncConn) forget(ic *inlineCall) bool {
	a.mu.Lock()
	if a.pending[ic.op] != ic {
		a.mu.Unlock()
		return false
	}
	delete(a.pending, ic.op)
	if !ic.overflow {
		a.inflight--
	}
	a.mu.Unlock()
	a.release(ic)
	return true
}

func (a *asyncConn) release(ic *inlineCall) {
	if ic.overflow {
		// Its completion goroutine may still run after the call was
		// completed otherwise (closed); it must find no new call in ic.
		return
	}
	// Nothing refers to ic any more: the connection removed its call
	// before completing it, and pending no longer holds it.
	*ic = inlineCall{}
	a.calls.Put(ic)
}

// completeOverflow completes an overflow call from the goroutine the
// connection started for it, unless the dispatcher completed it already.
func (a *asyncConn) completeOverflow(ic *inlineCall, resp *Command, err error) {
	a.mu.Lock()
	if a.pending[ic.op] != ic {
		a.mu.Unlock()
		return
	}
	delete(a.pending, ic.op)
	a.mu.Unlock()
	ic.cb(resp, err)
}

// dispatch runs the callbacks of the connection's inline calls and fails
// those whose context ended, until the connection closed; then it fails
// the calls left.
func (a *asyncConn) dispatch() {
	t := time.NewTicker(sweepInterval)
	defer t.Stop()
	for {
		select {
		case r := <-a.ch:
			a.deliver(r)
			// Take what else is there without a full select each time.
			for more := true; more; {
				select {
				case r = <-a.ch:
					a.deliver(r)
				default:
					more = false
				}
			}
		case <-t.C:
			if !a.sweep() {
				// Nothing waits: stop ticking until a call wakes us.
				t.Stop()
			}
		case <-a.wake:
			t.Reset(sweepInterval)
		case <-a.conn.closed:
			a.shutdown()
			return
		}
	}
}

// deliver hands one completion from ch to its call's callback. Errors come
// only from the connection closing and do not say which call they belong
// to; those calls stay in pending and fail in shutdown.
func (a *asyncConn) deliver(r callResult) {
	a.mu.Lock()
	a.inflight--
	var ic *inlineCall
	if r.err == nil {
		if ic = a.pending[r.resp.Opaque]; ic != nil {
			delete(a.pending, r.resp.Opaque)
		}
	}
	a.mu.Unlock()
	if ic == nil {
		return
	}
	cb := ic.cb
	a.release(ic)
	cb(r.resp, nil)
}

// sweep fails the calls whose context is done. When no call is pending it
// marks the dispatcher idle and reports false.
func (a *asyncConn) sweep() bool {
	var done []*inlineCall
	a.mu.Lock()
	if len(a.pending) == 0 {
		a.idle = true
		a.mu.Unlock()
		return false
	}
	for _, ic := range a.pending {
		if ic.done == nil {
			continue // a context that never ends
		}
		select {
		case <-ic.done:
			done = append(done, ic)
		default:
		}
	}
	a.mu.Unlock()
	c := a.conn
	for _, ic := range done {
		if !c.unregister(ic.op, &ic.cl) {
			continue // completed meanwhile: its completion is in ch
		}
		err := c.ctxErr(ic.ctx, &Command{Code: ic.code}, ic.op)
		cb := ic.cb
		a.forget(ic) // only this goroutine takes calls from pending
		cb(nil, err)
	}
	return true
}

// shutdown completes what is left once the connection closed: the responses
// still in ch, then every call still pending with the close error.
func (a *asyncConn) shutdown() {
	c := a.conn
	// After the reader finished, and with it the close (the reader's own
	// close waits for a concurrent one), nothing sends to ch any more.
	<-c.readerDone
	a.mu.Lock()
	a.closed = true // no call is added after this
	a.mu.Unlock()
	for {
		select {
		case r := <-a.ch:
			a.deliver(r)
			continue
		default:
		}
		break
	}
	a.mu.Lock()
	left := a.pending
	a.pending = nil
	a.inflight = 0
	a.mu.Unlock()
	err := c.closedErr()
	for _, ic := range left {
		cb := ic.cb
		a.release(ic)
		cb(nil, err)
	}
}

// sendExt is send for requests, with ext, when not nil, as the binary header
// in place of req.ExtFields. With ext, a request that has Written set and a
// body of zeroCopyMin bytes or more is written from its body, without a
// copy, as large responses are; Written is called once the connection no
// longer uses the body (or never, when the connection closed first).
func (c *Conn) sendExt(req *Command, ext *BinaryExt, st SerializeType, opaque, flag int32) error {
	if ext == nil {
		return c.send(req, st, opaque, flag)
	}
	var body []byte
	done := req.Written
	if done != nil && len(req.Body) >= zeroCopyMin {
		body = req.Body
	}
	bp := c.pool.Get().(*[]byte)
	var b []byte
	var err error
	if body != nil {
		b, err = appendBinaryFrameHead((*bp)[:0], req, ext, opaque, flag, 0)
	} else {
		b, err = appendBinaryFrame((*bp)[:0], req, ext, opaque, flag)
	}
	if err != nil {
		c.pool.Put(bp)
		callDone(done)
		return err
	}
	*bp = b
	if body == nil {
		callDone(done) // copied into the frame
		done = nil
	}
	return c.queueFrame(outFrame{buf: bp, body: body, done: done}, false)
}

// queueFrame hands an encoded frame to the writer or, for a response with
// nothing to coalesce it with (nobody writes, nothing is queued, no other
// request of the connection is being served, see busy), writes it at once
// on the caller's goroutine, which saves the writer's wake-up. Requests
// always go through the writer: written directly, a producer's stream of
// sends cost a syscall each (load tool CPU per message up from about 10 to
// 14 us at peak rate), where the writer carries several per writev.
func (c *Conn) queueFrame(f outFrame, response bool) error {
	c.wmu.Lock()
	if c.drain || c.Err() != nil {
		c.wmu.Unlock()
		c.putBuf(f.buf)
		callDone(f.done)
		if c.Err() != nil {
			return c.closedErr()
		}
		return fmt.Errorf("%w: %s is closing", ErrConnClosed, c)
	}
	if response && !c.writing && len(c.queue) == 0 && c.busy.Load() == 0 && c.direct.ok() {
		c.writing = true
		c.wmu.Unlock()
		c.writeDirect(f)
		return nil
	}
	c.queue = append(c.queue, f)
	first := len(c.queue) == 1
	c.wmu.Unlock()
	if first {
		// The writer takes the whole queue each time; it needs a signal
		// only when the queue was empty, i.e. it is idle or about to find
		// it empty.
		c.signalWriter()
	}
	return nil
}
