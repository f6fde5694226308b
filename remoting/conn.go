package remoting

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Conn is one remoting connection: accepted by a Server or dialed by a
// Client. Both sides may send requests on it; responses are matched to the
// requests of the side that sent them by opaque, among frames with the
// response flag set.
//
// Each Conn has one reader goroutine, which decodes frames and hands requests
// to the owner's worker pools, and one writer goroutine, which writes all
// frames queued since its last write with one writev. Methods are safe for
// concurrent use.
type Conn struct {
	id     uint64
	nc     net.Conn
	remote netip.AddrPort // the peer's TCP address, unmapped; zero if not TCP
	log    *slog.Logger
	opts   connOptions
	owner  connOwner
	pool   *sync.Pool    // of *[]byte frame buffers, shared with the owner
	opaque *atomic.Int32 // opaque counter for requests sent on this conn
	ctx    context.Context
	cancel context.CancelCauseFunc

	// Writer state. queue holds encoded frames in send order; the writer
	// swaps it out under wmu and writes without holding the lock.
	wmu   sync.Mutex
	queue []outFrame
	drain bool // close once queue is written; no further frames accepted
	wake  chan struct{}
	// writing is set, under wmu, while one goroutine owns the socket for
	// writing: the writer with a batch taken from queue, or a goroutine
	// writing its own response directly (see tryDirect). Only the owner
	// writes, so frames never interleave; the owner that finds queue
	// non-empty (or drain set) when it lets go wakes the writer.
	writing bool
	direct  directWriter // nil-safe; no direct writes when unsupported

	// busy counts this connection's requests handed to worker pools and
	// not yet served. While it is above zero a response waits for the
	// writer, which then carries the responses of the others finishing
	// about now in the same writev; the last one out writes directly.
	busy atomic.Int32

	// Outstanding requests sent by this side, by opaque. nil once closed,
	// so no call can be registered on a closed conn.
	cmu   sync.Mutex
	calls map[int32]*call

	lastWrite atomic.Int64 // UnixNano of the last successful write

	closeOnce  sync.Once
	closeErr   error         // why the conn closed; written before closed is closed
	closed     chan struct{} // closed when the conn is closed
	writerDone chan struct{}
	readerDone chan struct{}
}

// outFrame is a frame queued for writing: an encoded frame from the pool
// and, for large response bodies, the body written after it as its own
// slice, without being copied; then, for frames whose body is made of
// several pieces (a batch of messages), each of bodies in turn, also
// without a copy. On the wire the frame is *buf, body, bodies[0], ...
type outFrame struct {
	buf    *[]byte
	body   []byte
	bodies [][]byte
	done   func() // the response's Written, called once the body was written
	off    int    // bytes of the frame (from the start of buf) already written
}

// size is the frame's length on the wire.
func (f *outFrame) size() int {
	n := len(*f.buf) + len(f.body)
	for _, b := range f.bodies {
		n += len(b)
	}
	return n
}

// appendParts appends the frame's pieces not yet written (from off) to
// vec, leaving out empty ones.
func (f *outFrame) appendParts(vec [][]byte) [][]byte {
	skip := f.off
	vec = appendPart(vec, *f.buf, &skip)
	vec = appendPart(vec, f.body, &skip)
	for _, b := range f.bodies {
		vec = appendPart(vec, b, &skip)
	}
	return vec
}

// appendPart appends what is left of b after skipping *skip bytes, and
// counts those bytes off *skip.
func appendPart(vec [][]byte, b []byte, skip *int) [][]byte {
	if *skip >= len(b) {
		*skip -= len(b)
		return vec
	}
	b = b[*skip:]
	*skip = 0
	return append(vec, b)
}

// zeroCopyMin is the body size from which a response body is written from
// its own slice rather than copied behind its header: below it, the copy is
// cheaper than the extra iovec. Pull responses (tens of KiB of stored
// messages) are what this is for.
const zeroCopyMin = 4 << 10

// connOptions are the per-connection limits, copied from the owner's config
// after defaults are applied.
type connOptions struct {
	maxFrame     int
	idle         time.Duration // 0: never close for idleness
	writeTimeout time.Duration // 0: no write deadline
	readBuf      int
	maps         *extPool // ExtFields maps of requests; nil: always fresh
	// fields says whether a decoded command's custom header goes to
	// Fields rather than ExtFields; nil: always ExtFields.
	fields func(*Command) bool
	// chunks are the read chunks shared with the owner's other
	// connections; nil: every chunk is allocated.
	chunks *chunkPool
	// lends says whether a request's body is only borrowed by its
	// handler, so its frame is lent (see frameReader) and the owner, a
	// bodyLender, gives it back; nil: never.
	lends func(*Command) bool
}

// bodyLender is an owner that takes requests with lent frames, and that
// may serve requests on the reader goroutine.
type bodyLender interface {
	// dispatchLent is dispatch for a request whose frame is lent from
	// chunk (nil: not lent): the owner must call chunk.release exactly
	// once, when nothing uses req.Body any more. With inline the owner
	// may serve req before it returns, on the reader goroutine (the owner
	// decides which requests, see Server.ServeInline): the reader found
	// nothing else to decode, so it would only wait for the socket, and
	// serving req itself saves handing it to a worker.
	dispatchLent(c *Conn, req *Command, chunk *readChunk, inline bool)
}

// connOwner is the Server or Client a Conn belongs to.
type connOwner interface {
	// dispatch handles a request read from c. It must not block.
	dispatch(c *Conn, req *Command)
	// connClosed is called once, from c's reader goroutine, after c closed
	// and its writer stopped.
	connClosed(c *Conn)
}

// call is a request waiting for its response. Whoever removes it from
// Conn.calls completes it, so it completes exactly once.
type call struct {
	ch   chan callResult       // sync calls: buffered, capacity 1
	cb   func(*Command, error) // async calls
	done atomic.Bool
	stop atomic.Pointer[func() bool] // stops the async call's timeout
}

type callResult struct {
	resp *Command
	err  error
}

func (cl *call) complete(resp *Command, err error) {
	cl.done.Store(true)
	if s := cl.stop.Load(); s != nil {
		(*s)()
	}
	if cl.cb != nil {
		// A callback may block or call back into the connection; it must
		// never run on the reader goroutine.
		go cl.cb(resp, err)
		return
	}
	cl.ch <- callResult{resp, err}
}

// errIdle closes connections without traffic for the idle timeout.
var errIdle = errors.New("idle timeout")

// errLocalClose is the close reason of Conn.Close.
var errLocalClose = errors.New("closed locally")

// errDrained is the close reason after a graceful close wrote everything.
var errDrained = errors.New("closed after flushing")

func newConn(parent context.Context, id uint64, nc net.Conn, opts connOptions, owner connOwner,
	pool *sync.Pool, opaque *atomic.Int32, log *slog.Logger) *Conn {
	ctx, cancel := context.WithCancelCause(parent)
	c := &Conn{
		id:         id,
		nc:         nc,
		log:        log,
		opts:       opts,
		owner:      owner,
		pool:       pool,
		opaque:     opaque,
		ctx:        ctx,
		cancel:     cancel,
		wake:       make(chan struct{}, 1),
		calls:      make(map[int32]*call),
		closed:     make(chan struct{}),
		writerDone: make(chan struct{}),
		readerDone: make(chan struct{}),
	}
	c.lastWrite.Store(time.Now().UnixNano())
	c.direct.init(nc)
	if tcp, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		ap := tcp.AddrPort()
		c.remote = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return c
}

func (c *Conn) start() {
	go c.writeLoop()
	go c.readLoop()
}

// ID returns the connection's id, unique among the connections of its
// Server or Client.
func (c *Conn) ID() uint64 { return c.id }

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// RemoteAddrPort returns the peer's TCP address, with an IPv4-mapped IPv6
// address unmapped; the zero AddrPort when the connection is not TCP. It is
// worked out once, so it costs nothing per request.
func (c *Conn) RemoteAddrPort() netip.AddrPort { return c.remote }

// LocalAddr returns the local address.
func (c *Conn) LocalAddr() net.Addr { return c.nc.LocalAddr() }

// Context returns a context that is cancelled when the connection closes;
// handlers receive it. context.Cause tells why the connection closed.
func (c *Conn) Context() context.Context { return c.ctx }

// Done returns a channel that is closed when the connection closes.
func (c *Conn) Done() <-chan struct{} { return c.closed }

// Err returns why the connection closed, or nil while it is open.
func (c *Conn) Err() error {
	select {
	case <-c.closed:
		return c.closeErr
	default:
		return nil
	}
}

// String identifies the connection in logs.
func (c *Conn) String() string {
	return "conn#" + strconv.FormatUint(c.id, 10) + "(" + c.nc.RemoteAddr().String() + ")"
}

// Close closes the connection at once: frames not yet written are dropped and
// outstanding calls fail with ErrConnClosed.
func (c *Conn) Close() error {
	c.closeWith(errLocalClose)
	return nil
}

// closeWith closes the connection for reason err (first reason wins).
func (c *Conn) closeWith(err error) {
	c.closeOnce.Do(func() {
		c.closeErr = err
		close(c.closed)
		_ = c.nc.Close()
		c.cancel(fmt.Errorf("%w: %s: %w", ErrConnClosed, c, err))
		c.cmu.Lock()
		calls := c.calls
		c.calls = nil
		c.cmu.Unlock()
		if len(calls) > 0 {
			cerr := c.closedErr()
			for _, cl := range calls {
				cl.complete(nil, cerr)
			}
		}
	})
}

// closedErr is the error of operations on the closed connection.
func (c *Conn) closedErr() error {
	<-c.closed // closeErr is set before closed is closed
	return fmt.Errorf("%w: %s: %w", ErrConnClosed, c, c.closeErr)
}

// closeAfterFlush closes the connection once every frame queued so far is
// written. Frames queued later are refused.
func (c *Conn) closeAfterFlush() {
	c.wmu.Lock()
	c.drain = true
	c.wmu.Unlock()
	c.signalWriter()
}

func (c *Conn) signalWriter() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// WriteResponse queues resp for writing. It sets the response flag and
// encodes resp in resp.Serialize (NewResponse mirrors the request's). It
// returns once the frame is queued; the frame is written asynchronously, and
// an error after that closes the connection. resp.Body may be written from
// where it is, without a copy: it must not be modified after the call.
func (c *Conn) WriteResponse(resp *Command) error {
	return c.send(resp, resp.Serialize, resp.Opaque, resp.Flag|FlagResponse)
}

// AnswerLater tells c that a handler returned nil and will answer from
// another goroutine (for instance when a group commit covers the request).
// Until the matching FinishLater, responses on c wait for the writer
// instead of being written directly, so a run of late answers, such as all
// the sends one fsync covered, goes out in one writev rather than one
// syscall each on the goroutine that completes them.
func (c *Conn) AnswerLater() { c.busy.Add(1) }

// FinishLater ends what AnswerLater began and writes resp, unless resp is
// nil (a oneway request: nothing to answer).
func (c *Conn) FinishLater(resp *Command) error {
	c.busy.Add(-1)
	if resp == nil {
		return nil
	}
	return c.WriteResponse(resp)
}

// send encodes cmd with the given serialization, opaque and flag (cmd itself
// is not modified) and queues the frame. A command the binary form cannot
// carry goes as JSON.
func (c *Conn) send(cmd *Command, st SerializeType, opaque, flag int32) error {
	cp := *cmd
	cp.Opaque = opaque
	cp.Flag = flag
	// Responses own their bodies until written (see Handler), so a large
	// one goes out from its own slice. Requests are copied: callers may
	// reuse a request's body once the send returned.
	var body []byte
	var done func()
	if flag&FlagResponse != 0 {
		done = cmd.Written
		if len(cmd.Body) >= zeroCopyMin {
			body = cmd.Body
		}
	}
	// Direct calls, not through a func value: that would move cp to the
	// heap on every send.
	encode := func(dst []byte, st SerializeType) ([]byte, error) {
		if body != nil {
			return appendFrameHead(dst, &cp, st)
		}
		return appendFrame(dst, &cp, st)
	}
	bp := c.pool.Get().(*[]byte)
	b, err := encode((*bp)[:0], st)
	if err != nil && st == SerializeRocketMQ && errors.Is(err, ErrNotEncodable) {
		// Every peer reads JSON, and JSON carries what binary cannot.
		b, err = encode((*bp)[:0], SerializeJSON)
	}
	if err != nil {
		c.pool.Put(bp)
		callDone(done)
		return err
	}
	*bp = b
	if body == nil {
		// The body was copied into the frame.
		callDone(done)
		done = nil
	}
	return c.queueFrame(outFrame{buf: bp, body: body, done: done}, flag&FlagResponse != 0)
}

// writeDirect writes f as far as the socket takes it without waiting (the
// caller owns writing) and hands what is left, and whatever was queued
// meanwhile, to the writer.
func (c *Conn) writeDirect(f outFrame) {
	n, err := c.direct.write(&f)
	if err != nil {
		c.closeWith(fmt.Errorf("write: %w", err))
	}
	complete := err == nil && f.off+n == f.size()
	if complete {
		c.lastWrite.Store(time.Now().UnixNano())
		c.putBuf(f.buf)
		callDone(f.done)
	}
	f.off += n
	c.wmu.Lock()
	c.writing = false
	if !complete && err == nil {
		// The rest goes before anything queued meanwhile.
		c.queue = slices.Insert(c.queue, 0, f)
	}
	wake := len(c.queue) > 0 || c.drain
	c.wmu.Unlock()
	if wake {
		c.signalWriter()
	}
}

// callDone calls a response's Written callback, if any.
func callDone(done func()) {
	if done != nil {
		done()
	}
}

// maxPooledBuf bounds the frame buffers kept for reuse, so one huge frame
// does not pin its memory.
const maxPooledBuf = 1 << 20

func (c *Conn) putBuf(bp *[]byte) {
	if cap(*bp) <= maxPooledBuf {
		*bp = (*bp)[:0]
		c.pool.Put(bp)
	}
}

// writeLoop writes queued frames, all frames queued since the last write in
// one writev, until the connection closes.
func (c *Conn) writeLoop() {
	defer close(c.writerDone)
	var batch []outFrame
	var vec net.Buffers
	w := new(net.Buffers)
	for {
		select {
		case <-c.wake:
		case <-c.closed:
			return
		}
		// Let the goroutines that are runnable now (workers finishing
		// requests read in the same batch) queue their responses first:
		// under load one writev then carries several frames instead of
		// one each. Only while requests of this connection are being
		// served: otherwise nothing is about to be queued, and the yield
		// (to the global run queue, behind everything runnable) only
		// delays the frames already queued, by up to a millisecond with
		// both cores busy.
		if c.busy.Load() > 0 {
			runtime.Gosched()
		}
		own := false // this loop owns writing
		for {
			c.wmu.Lock()
			if c.writing && !own {
				// A direct write owns the socket; it wakes us when it
				// lets go with frames left.
				c.wmu.Unlock()
				break
			}
			batch, c.queue = c.queue, batch[:0]
			drain := c.drain
			own = len(batch) > 0
			c.writing = own
			c.wmu.Unlock()
			if len(batch) == 0 {
				if drain {
					c.closeWith(errDrained)
					return
				}
				break
			}
			vec = vec[:0]
			for i := range batch {
				vec = batch[i].appendParts(vec)
			}
			if c.opts.writeTimeout > 0 {
				_ = c.nc.SetWriteDeadline(time.Now().Add(c.opts.writeTimeout))
			}
			// WriteTo consumes its receiver, so it gets a copy of vec
			// (kept for reuse); w is made once, since a local would move to
			// the heap on every write.
			*w = vec
			_, err := w.WriteTo(c.nc)
			*w = nil
			for i, f := range batch {
				c.putBuf(f.buf)
				callDone(f.done)
				batch[i] = outFrame{} // drop the bodies
			}
			batch = batch[:0]
			clear(vec) // slots past len were cleared in earlier rounds
			if err != nil {
				if isTimeout(err) {
					c.log.Warn("remoting: write timed out, closing connection", "conn", c.id,
						"remote", c.nc.RemoteAddr().String(), "timeout", c.opts.writeTimeout)
				}
				c.closeWith(fmt.Errorf("write: %w", err))
				return
			}
			c.lastWrite.Store(time.Now().UnixNano())
		}
	}
}

// readLoop reads and dispatches frames until the connection fails or closes,
// then closes it and tells the owner.
func (c *Conn) readLoop() {
	err := c.readFrames()
	c.closeWith(err)
	<-c.writerDone
	close(c.readerDone)
	c.owner.connClosed(c)
}

// badInput marks an error as the peer's fault: logged as a warning.
type badInput struct{ err error }

func (e badInput) Error() string { return e.err.Error() }
func (e badInput) Unwrap() error { return e.err }

func (c *Conn) readFrames() error {
	fr := newFrameReader(idleReader{c}, c.opts.readBuf, maxChunkGrowth*c.opts.readBuf, c.opts.chunks)
	lender, _ := c.owner.(bodyLender)
	for {
		n, err := fr.length()
		if err != nil {
			return c.readFailed(err)
		}
		if n < 4 {
			return c.reject(frameErr(ErrBadLength, -1, "frame length "+strconv.FormatInt(n, 10)+" is less than the 4-byte header-length word"))
		}
		if n > int64(c.opts.maxFrame) {
			return c.reject(frameErr(ErrFrameTooLarge, -1, "frame length "+strconv.FormatInt(n, 10)+" exceeds the limit of "+strconv.Itoa(c.opts.maxFrame)))
		}
		frame, shared, err := fr.frame(int(n))
		if err != nil {
			return c.readFailed(err)
		}
		cmd, err := decodeFrame(frame, c.opts.maps, c.opts.fields)
		if err != nil {
			return c.reject(err)
		}
		inline := lender != nil && !cmd.IsResponse() && fr.drained()
		if shared && len(cmd.Body) > 0 {
			// The body aliases the chunk; header strings never do.
			if lender != nil && c.opts.lends != nil && !cmd.IsResponse() && c.opts.lends(cmd) {
				lender.dispatchLent(c, cmd, fr.lend(), inline)
				continue
			}
			fr.pin()
		}
		switch {
		case cmd.IsResponse():
			c.completeCall(cmd)
		case inline:
			lender.dispatchLent(c, cmd, nil, true)
		default:
			c.owner.dispatch(c, cmd)
		}
	}
}

// reject logs malformed input in one line and returns the close reason.
func (c *Conn) reject(err error) error {
	c.log.Warn("remoting: bad frame, closing connection", "conn", c.id,
		"remote", c.nc.RemoteAddr().String(), "err", err)
	return badInput{err}
}

// readFailed classifies a read error and returns the close reason.
func (c *Conn) readFailed(err error) error {
	switch {
	case errors.Is(err, errIdle):
		c.log.Info("remoting: closing idle connection", "conn", c.id,
			"remote", c.nc.RemoteAddr().String(), "idle", c.opts.idle)
	case c.Err() != nil:
		return c.Err() // closed on purpose; the read error is a consequence
	case errors.Is(err, io.EOF):
		c.log.Debug("remoting: connection closed by peer", "conn", c.id, "remote", c.nc.RemoteAddr().String())
	case errors.Is(err, io.ErrUnexpectedEOF):
		c.log.Warn("remoting: connection closed by peer in the middle of a frame", "conn", c.id,
			"remote", c.nc.RemoteAddr().String())
	default:
		c.log.Debug("remoting: read failed", "conn", c.id, "remote", c.nc.RemoteAddr().String(), "err", err)
	}
	return fmt.Errorf("read: %w", err)
}

// maxChunkGrowth bounds how far a connection's read chunks grow past the
// configured read buffer size for large frames (see frameReader): 8 × 64
// KiB carves frames up to 128 KiB, batches of 64 messages of 1 KiB with
// room to spare.
const maxChunkGrowth = 8

// readFrame reads a frame of n bytes. Frames up to 1 MiB are read into one
// allocation; larger ones grow as their bytes arrive, so a peer that announces
// a large frame and sends nothing costs little memory.
func readFrame(r io.Reader, n int) ([]byte, error) {
	const step = 1 << 20
	if n <= step {
		buf := make([]byte, n)
		_, err := io.ReadFull(r, buf)
		return buf, noEOF(err)
	}
	buf := make([]byte, 0, step)
	for len(buf) < n {
		k := min(n-len(buf), max(step, len(buf)))
		buf = slices.Grow(buf, k)[:len(buf)+k]
		if _, err := io.ReadFull(r, buf[len(buf)-k:]); err != nil {
			return nil, noEOF(err)
		}
	}
	return buf, nil
}

// noEOF turns EOF inside a frame into ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// idleReader reads from the connection with the idle timeout: it fails with
// errIdle once nothing was read nor written for opts.idle and no call waits
// for an answer (a long-polling pull may legitimately be silent for long).
type idleReader struct{ c *Conn }

func (r idleReader) Read(p []byte) (int, error) {
	c := r.c
	if c.opts.idle <= 0 {
		return c.nc.Read(p)
	}
	deadline := time.Now().Add(c.opts.idle)
	for {
		_ = c.nc.SetReadDeadline(deadline)
		n, err := c.nc.Read(p)
		if n > 0 || err == nil || !isTimeout(err) {
			return n, err
		}
		now := time.Now()
		if w := time.Unix(0, c.lastWrite.Load()).Add(c.opts.idle); w.After(now) {
			deadline = w
			continue
		}
		if c.pendingCalls() > 0 {
			deadline = now.Add(c.opts.idle)
			continue
		}
		return 0, errIdle
	}
}

func isTimeout(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded)
}

func (c *Conn) pendingCalls() int {
	c.cmu.Lock()
	defer c.cmu.Unlock()
	return len(c.calls)
}

// register adds an outstanding call.
func (c *Conn) register(opaque int32, cl *call) error {
	c.cmu.Lock()
	if c.calls == nil {
		c.cmu.Unlock()
		return c.closedErr()
	}
	c.calls[opaque] = cl
	c.cmu.Unlock()
	return nil
}

// unregister removes an outstanding call; it reports whether it was still
// there, i.e. whether the caller now owns its completion.
func (c *Conn) unregister(opaque int32, cl *call) bool {
	c.cmu.Lock()
	defer c.cmu.Unlock()
	if c.calls[opaque] == cl && cl != nil {
		delete(c.calls, opaque)
		return true
	}
	return false
}

// completeCall delivers a response to the call waiting for its opaque.
// Responses nobody waits for (the call timed out) are dropped.
func (c *Conn) completeCall(resp *Command) {
	c.cmu.Lock()
	cl := c.calls[resp.Opaque]
	if cl != nil {
		delete(c.calls, resp.Opaque)
	}
	c.cmu.Unlock()
	if cl == nil {
		c.log.Debug("remoting: dropping response nobody waits for", "conn", c.id,
			"remote", c.nc.RemoteAddr().String(), "opaque", resp.Opaque, "code", resp.Code)
		return
	}
	cl.complete(resp, nil)
}

// nextOpaque returns a fresh opaque for a request sent on c.
func (c *Conn) nextOpaque() int32 { return c.opaque.Add(1) }

// InvokeSync sends req on the connection and waits for the response, until
// ctx is done. req is not modified: the opaque is assigned to the frame. req
// is sent in req.Serialize. On ctx's deadline the error wraps ErrTimeout and
// context.DeadlineExceeded; when the connection breaks, ErrConnClosed.
// Use a ctx with a deadline: the peer may never answer.
func (c *Conn) InvokeSync(ctx context.Context, req *Command) (*Command, error) {
	return c.invokeSync(ctx, req, req.Serialize)
}

func (c *Conn) invokeSync(ctx context.Context, req *Command, st SerializeType) (*Command, error) {
	return c.awaitCall(ctx, req, func(op int32, flag int32) error { return c.send(req, st, op, flag) })
}

// awaitCall registers a call under a new opaque, sends the request with
// send, and waits for its response, ctx's end or the connection's close.
func (c *Conn) awaitCall(ctx context.Context, req *Command, send func(op, flag int32) error) (*Command, error) {
	op := c.nextOpaque()
	cl := &call{ch: make(chan callResult, 1)}
	if err := c.register(op, cl); err != nil {
		return nil, err
	}
	if err := send(op, req.Flag&^(FlagResponse|FlagOneway)); err != nil {
		if c.unregister(op, cl) {
			return nil, err
		}
		r := <-cl.ch // closed concurrently: report that
		return r.resp, r.err
	}
	select {
	case r := <-cl.ch:
		return r.resp, r.err
	case <-ctx.Done():
		if c.unregister(op, cl) {
			return nil, c.ctxErr(ctx, req, op)
		}
		r := <-cl.ch // answered at the same moment
		return r.resp, r.err
	}
}

// invokeAsync sends req and arranges for cb to be called exactly once, on its
// own goroutine, with the response or the error (ctx done, connection
// broken). If invokeAsync returns an error, cb is never called.
func (c *Conn) invokeAsync(ctx context.Context, req *Command, st SerializeType, cb func(*Command, error)) error {
	op := c.nextOpaque()
	cl := &call{cb: cb}
	if err := c.register(op, cl); err != nil {
		return err
	}
	if err := c.send(req, st, op, req.Flag&^(FlagResponse|FlagOneway)); err != nil {
		if c.unregister(op, cl) {
			return err
		}
		return nil // closed concurrently: cb gets the error
	}
	stop := context.AfterFunc(ctx, func() {
		if c.unregister(op, cl) {
			cl.complete(nil, c.ctxErr(ctx, req, op))
		}
	})
	cl.stop.Store(&stop)
	if cl.done.Load() {
		stop() // completed before the timeout was armed
	}
	return nil
}

// ctxErr describes a call abandoned because ctx is done.
func (c *Conn) ctxErr(ctx context.Context, req *Command, op int32) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: request code %d opaque %d on %s: %w", ErrTimeout, req.Code, op, c, ctx.Err())
	}
	return fmt.Errorf("remoting: request code %d opaque %d on %s: %w", req.Code, op, c, context.Cause(ctx))
}

// InvokeOneway sends req with the oneway flag set; no response is expected.
// req is not modified. It returns once the frame is queued.
func (c *Conn) InvokeOneway(req *Command) error {
	return c.send(req, req.Serialize, c.nextOpaque(), (req.Flag|FlagOneway)&^FlagResponse)
}
