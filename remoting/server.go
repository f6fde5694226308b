package remoting

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of ServerConfig and ClientConfig.
const (
	// DefaultIdleTimeout is upstream's serverChannelMaxIdleTimeSeconds.
	DefaultIdleTimeout = 120 * time.Second
	// DefaultWriteTimeout bounds one write of queued frames.
	DefaultWriteTimeout = 30 * time.Second
	// DefaultReadBufferSize is the size of each connection's read buffer.
	DefaultReadBufferSize = 64 << 10
	// DefaultGroupWorkers is the number of workers of a handler group that
	// was not configured with RegisterGroup.
	DefaultGroupWorkers = 16
	// DefaultGroupQueue is the queue length of such a group.
	DefaultGroupQueue = 10000
)

// ServerConfig configures a Server. Zero values mean the documented defaults.
type ServerConfig struct {
	// Addr is the TCP address to listen on, as for net.Listen: "" or ":0"
	// picks a free port on all interfaces.
	Addr string
	// MaxFrameSize limits the totalLength of a received frame; larger frames
	// close the connection. Default DefaultMaxFrameSize (16 MiB), as upstream.
	MaxFrameSize int
	// IdleTimeout closes a connection that neither read nor wrote anything
	// for this long (and has no server-initiated call waiting). Default
	// DefaultIdleTimeout (120 s, as upstream); negative disables it.
	IdleTimeout time.Duration
	// WriteTimeout closes a connection when one write of its queued frames
	// takes longer: the peer does not read. Default DefaultWriteTimeout
	// (30 s); negative disables it.
	WriteTimeout time.Duration
	// ReadBufferSize is the size of the chunks each connection reads into;
	// frames up to a quarter of it are slices of a chunk. A connection that
	// sends larger frames gets chunks of up to 8 times this size to carve
	// them from too; still larger frames get their own allocation. Default
	// DefaultReadBufferSize (64 KiB).
	ReadBufferSize int
	// GroupWorkers and GroupQueue size the handler groups that Register
	// creates for group names not configured with RegisterGroup. Defaults
	// DefaultGroupWorkers (16) and DefaultGroupQueue (10000).
	GroupWorkers int
	GroupQueue   int
	// Logger receives the server's logs. Default slog.Default().
	Logger *slog.Logger
}

func (cfg *ServerConfig) setDefaults() {
	if cfg.MaxFrameSize <= 0 {
		cfg.MaxFrameSize = DefaultMaxFrameSize
	}
	cfg.IdleTimeout = durationDefault(cfg.IdleTimeout, DefaultIdleTimeout)
	cfg.WriteTimeout = durationDefault(cfg.WriteTimeout, DefaultWriteTimeout)
	if cfg.ReadBufferSize <= 0 {
		cfg.ReadBufferSize = DefaultReadBufferSize
	}
	if cfg.GroupWorkers <= 0 {
		cfg.GroupWorkers = DefaultGroupWorkers
	}
	if cfg.GroupQueue <= 0 {
		cfg.GroupQueue = DefaultGroupQueue
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
}

// durationDefault maps 0 to def and negative values to 0 (disabled).
func durationDefault(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

// route is where requests of one code go.
type route struct {
	group     *workerGroup
	h         Handler
	transient bool // h does not keep req.ExtFields or req.Fields, see ReuseHeaders
	fields    bool // requests carry Fields instead of ExtFields, see RegisterFields
	lends     bool // h only borrows req.Body, see ReuseBodies
	inline    bool // the reader may serve requests itself, see ServeInline
}

// Server accepts remoting connections and dispatches their requests, by
// code, to handlers running in bounded per-group worker pools.
//
// Configure it (RegisterGroup, Register, OnConnClose) before Start; the
// routing table is fixed from then on.
type Server struct {
	cfg  ServerConfig
	log  *slog.Logger
	pool sync.Pool // *[]byte frame buffers of all connections
	// chunks are the read chunks of all connections (see frameReader).
	chunks *chunkPool
	maps   extPool // ExtFields maps of requests, see RegisterTransient

	ctx    context.Context // parent of every connection's context
	cancel context.CancelFunc

	// Fixed after Start.
	groups  map[string]*workerGroup
	routes  map[int32]route
	onClose []func(*Conn)

	mu       sync.Mutex
	started  bool
	ln       net.Listener
	conns    map[uint64]*Conn
	nextID   uint64
	acceptWG sync.WaitGroup

	// dmu orders request dispatch against Shutdown: dispatch holds it shared
	// while it checks closing and counts the request in inflight, so once
	// Shutdown set closing under the exclusive lock no request is added.
	dmu      sync.RWMutex
	closing  bool
	inflight sync.WaitGroup

	connWG sync.WaitGroup // one per connection until connClosed ran
}

// NewServer returns a server with the given configuration.
func NewServer(cfg ServerConfig) *Server {
	cfg.setDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:    cfg,
		log:    cfg.Logger,
		ctx:    ctx,
		cancel: cancel,
		groups: make(map[string]*workerGroup),
		routes: make(map[int32]route),
		conns:  make(map[uint64]*Conn),
	}
	s.pool.New = func() any { b := make([]byte, 0, 4096); return &b }
	s.chunks = newChunkPool(cfg.ReadBufferSize)
	return s
}

func (s *Server) mustNotBeStarted(what string) {
	if s.started {
		panic("remoting: " + what + " after Server.Start")
	}
}

// RegisterGroup configures the handler group name with the given number of
// workers and queue length. When the queue is full, requests of the group
// are answered with ResponseSystemBusy and RemarkOverload. Call it before
// Start; calling it again for the same name replaces the configuration.
func (s *Server) RegisterGroup(name string, workers, queue int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustNotBeStarted("RegisterGroup")
	g := newWorkerGroup(name, workers, queue)
	if old := s.groups[name]; old != nil {
		// Routes registered earlier keep pointing at the group: update in place.
		*old = *g
		return
	}
	s.groups[name] = g
}

// Register routes requests with the given code to h, run by the workers of
// group. A group not configured with RegisterGroup is created with
// ServerConfig.GroupWorkers and GroupQueue. Call it before Start.
func (s *Server) Register(code int32, group string, h Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustNotBeStarted("Register")
	g := s.groups[group]
	if g == nil {
		g = newWorkerGroup(group, s.cfg.GroupWorkers, s.cfg.GroupQueue)
		s.groups[group] = g
	}
	s.routes[code] = route{group: g, h: h}
}

// RegisterTransient is Register for a handler that promises not to use
// req.ExtFields, the map itself, once it returned a non-nil response (it may
// keep the map's keys and values, and may keep req if it returns nil to
// answer later). The server then reuses the map for a later request instead
// of allocating one, after the response was encoded. Handlers that return
// the request's map in their response are fine: it is encoded before reuse.
func (s *Server) RegisterTransient(code int32, group string, h Handler) {
	s.Register(code, group, h)
	s.ReuseHeaders(code)
}

// ReuseHeaders marks requests with the given code, registered before (with
// Register or RegisterFields), as ones whose handler uses neither
// req.ExtFields (the map) nor req.Fields (the list) once it returned a
// non-nil response; it may keep their keys and values, and may keep req if
// it returns nil to answer later. The server then reuses the map or list
// for a later request, after the response was encoded. RegisterTransient
// is Register followed by ReuseHeaders. Call it before Start.
func (s *Server) ReuseHeaders(code int32) {
	s.markRoute("ReuseHeaders", code, func(r *route) { r.transient = true })
}

// markRoute changes the registered route of code with mark, before Start;
// what names the caller in the panic for a misuse.
func (s *Server) markRoute(what string, code int32, mark func(*route)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustNotBeStarted(what)
	r, ok := s.routes[code]
	if !ok {
		panic("remoting: " + what + " for unregistered code " + strconv.Itoa(int(code)))
	}
	mark(&r)
	s.routes[code] = r
}

// RegisterFields is Register for a handler that reads its custom header
// from req.Fields, in header order, instead of req.ExtFields (which is nil
// for its requests): decoding then builds no map, which matters on the
// hottest paths (sends). Duplicate keys are all kept there, in order; a JSON
// null value removes the earlier members of its name.
func (s *Server) RegisterFields(code int32, group string, h Handler) {
	s.Register(code, group, h)
	s.markRoute("RegisterFields", code, func(r *route) { r.fields = true })
}

// ReuseBodies marks requests with the given code, registered before, as
// ones whose handler only borrows req.Body: it uses neither the body nor
// any slice of it once it returned, whether it returned a response or nil
// to answer later. Such bodies are read into memory the server reuses for
// later requests after the handler returned, instead of leaving it to the
// garbage collector (which zeroes and collects it again for every few
// frames). A handler that breaks the promise sees its body overwritten by
// later requests. Call it before Start.
func (s *Server) ReuseBodies(code int32) {
	s.markRoute("ReuseBodies", code, func(r *route) { r.lends = true })
}

// ServeInline marks requests with the given code, registered before, as
// ones the connection's reader may serve itself, instead of handing them to
// their group's workers, when it has no further byte of the connection
// buffered: it would only wait for the socket meanwhile. That saves a
// goroutine hand-off per request, whose scheduling delay, with every core
// busy, is the larger part of a lone request's latency. Requests that
// arrive back to back still go to the workers and are served in parallel.
//
// Only for handlers that return quickly and never wait for anything the
// same connection must deliver (another request, a response): while such a
// handler runs, nothing more is read from its connection. A request served
// inline does not count against its group's queue; at most one per
// connection is. Call it before Start.
func (s *Server) ServeInline(code int32) {
	s.markRoute("ServeInline", code, func(r *route) { r.inline = true })
}

// lendsBody implements connOptions.lends: requests of routes marked with
// ReuseBodies. The routes are fixed once started.
func (s *Server) lendsBody(c *Command) bool {
	return s.routes[c.Code].lends
}

// wantsFields implements connOptions.fields: requests of routes registered
// with RegisterFields. The routes are fixed once started, so reading them
// needs no lock.
func (s *Server) wantsFields(c *Command) bool {
	return !c.IsResponse() && s.routes[c.Code].fields
}

// OnConnClose registers f to be called once for every connection that
// closes, after it closed. f runs on the connection's reader goroutine and
// should not block for long. Call it before Start.
func (s *Server) OnConnClose(f func(*Conn)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustNotBeStarted("OnConnClose")
	s.onClose = append(s.onClose, f)
}

// Start listens on cfg.Addr and serves in the background.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("remoting: server already started")
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("remoting: listen: %w", err)
	}
	s.started = true
	s.ln = ln
	for _, g := range s.groups {
		g.start(s.log, s.inflight.Done)
	}
	s.acceptWG.Add(1)
	go s.acceptLoop(ln)
	s.log.Info("remoting: server listening", "addr", ln.Addr().String())
	return nil
}

// Addr returns the listening address, or nil before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

func (s *Server) acceptLoop(ln net.Listener) {
	defer s.acceptWG.Done()
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.isClosing() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait and retry, as
			// net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("remoting: accept failed, retrying", "err", err, "in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		s.mu.Lock()
		if s.isClosing() {
			s.mu.Unlock()
			_ = nc.Close()
			return
		}
		s.nextID++
		c := newConn(s.ctx, s.nextID, nc, s.connOptions(), s, &s.pool, new(atomic.Int32), s.log)
		s.conns[c.id] = c
		s.connWG.Add(1)
		s.mu.Unlock()
		s.log.Debug("remoting: connection accepted", "conn", c.id, "remote", nc.RemoteAddr().String())
		c.start()
	}
}

func (s *Server) connOptions() connOptions {
	return connOptions{
		maxFrame:     s.cfg.MaxFrameSize,
		idle:         s.cfg.IdleTimeout,
		writeTimeout: s.cfg.WriteTimeout,
		readBuf:      s.cfg.ReadBufferSize,
		maps:         &s.maps,
		fields:       s.wantsFields,
		chunks:       s.chunks,
		lends:        s.lendsBody,
	}
}

func (s *Server) isClosing() bool {
	s.dmu.RLock()
	defer s.dmu.RUnlock()
	return s.closing
}

// dispatch implements connOwner: route the request to its group.
func (s *Server) dispatch(c *Conn, req *Command) { s.dispatchLent(c, req, nil, false) }

// dispatchLent implements bodyLender: dispatch, and give the lease back
// once the request is answered (here, when it is refused; otherwise when
// its handler returned).
func (s *Server) dispatchLent(c *Conn, req *Command, lease *readChunk, inline bool) {
	r, ok := s.routes[req.Code]
	if !ok {
		s.log.Debug("remoting: request code not supported", "conn", c.id, "code", req.Code)
		reply(s.log, c, req, ResponseRequestCodeNotSupported, notSupportedRemark(req.Code))
		releaseLease(lease)
		return
	}
	s.dmu.RLock()
	if s.closing {
		s.dmu.RUnlock()
		reply(s.log, c, req, ResponseServiceNotAvailable, RemarkShuttingDown)
		releaseLease(lease)
		return
	}
	s.inflight.Add(1)
	s.dmu.RUnlock()
	t := task{conn: c, req: req, h: r.h, transient: r.transient, lease: lease}
	if inline && r.inline {
		// Counted in busy like a queued request, so that serve's
		// accounting (and the writer's coalescing) holds.
		c.busy.Add(1)
		serve(s.log, t)
		s.inflight.Done()
		return
	}
	if !r.group.offer(t) {
		s.inflight.Done()
		s.log.Debug("remoting: handler group overloaded", "group", r.group.name, "conn", c.id, "code", req.Code)
		reply(s.log, c, req, ResponseSystemBusy, RemarkOverload)
		releaseLease(lease)
	}
}

// releaseLease gives back a lent frame, if any.
func releaseLease(lease *readChunk) {
	if lease != nil {
		lease.release()
	}
}

// connClosed implements connOwner.
func (s *Server) connClosed(c *Conn) {
	s.mu.Lock()
	delete(s.conns, c.id)
	s.mu.Unlock()
	for _, f := range s.onClose {
		f(c)
	}
	s.connWG.Done()
}

// Shutdown stops the server gracefully: it stops accepting connections,
// answers requests that arrive from now on with ResponseServiceNotAvailable,
// waits until every request already dispatched has been handled, writes the
// responses still queued and closes all connections. Requests a handler kept
// to answer later are not waited for.
//
// If ctx ends first, Shutdown closes the connections at once and returns
// ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.started {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.dmu.Lock()
	already := s.closing
	s.closing = true
	s.dmu.Unlock()
	ln := s.ln
	s.mu.Unlock()
	if already {
		return ErrServerClosed
	}
	_ = ln.Close()
	s.acceptWG.Wait()

	drained := make(chan struct{})
	go func() {
		s.inflight.Wait()
		close(drained)
	}()
	var err error
	select {
	case <-drained:
	case <-ctx.Done():
		err = ctx.Err()
	}
	// No task is queued after closing was set, so closing the queues only
	// stops the workers once they are idle.
	for _, g := range s.groups {
		close(g.tasks)
	}

	s.mu.Lock()
	conns := make([]*Conn, 0, len(s.conns))
	for _, c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		if err != nil {
			_ = c.Close()
		} else {
			c.closeAfterFlush()
		}
	}
	closed := make(chan struct{})
	go func() {
		s.connWG.Wait()
		close(closed)
	}()
	select {
	case <-closed:
	case <-ctx.Done():
		if err == nil {
			err = ctx.Err()
		}
		for _, c := range conns {
			_ = c.Close()
		}
		<-closed
	}
	s.cancel()
	return err
}
