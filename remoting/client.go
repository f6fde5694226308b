package remoting

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of ClientConfig.
const (
	// DefaultDialTimeout is upstream's connectTimeoutMillis.
	DefaultDialTimeout = 3 * time.Second
	// DefaultClientWorkers is the number of workers serving server-initiated
	// requests.
	DefaultClientWorkers = 4
	// DefaultClientQueue is the queue length of those workers.
	DefaultClientQueue = 1024
)

// ClientConfig configures a Client. Zero values mean the documented defaults.
type ClientConfig struct {
	// MaxFrameSize limits the totalLength of a received frame; larger frames
	// close the connection. Default DefaultMaxFrameSize (16 MiB).
	MaxFrameSize int
	// DialTimeout bounds connecting to an address. Default
	// DefaultDialTimeout (3 s).
	DialTimeout time.Duration
	// IdleTimeout closes a connection that neither read nor wrote anything
	// for this long while no call waits on it; the next call reconnects.
	// Default DefaultIdleTimeout (120 s); negative disables it.
	IdleTimeout time.Duration
	// WriteTimeout closes a connection when one write takes longer. Default
	// DefaultWriteTimeout (30 s); negative disables it.
	WriteTimeout time.Duration
	// ReadBufferSize is the size of the chunks each connection reads into
	// (see ServerConfig.ReadBufferSize). Default DefaultReadBufferSize (64 KiB).
	ReadBufferSize int
	// Serialize is the header serialization of the requests the client
	// sends. Default SerializeJSON, which every server reads. With
	// SerializeRocketMQ, requests whose code or version do not fit 16 bits
	// (the POP family) still go as JSON.
	Serialize SerializeType
	// Workers and Queue size the pool serving server-initiated requests
	// (handlers registered with Register). Defaults DefaultClientWorkers (4)
	// and DefaultClientQueue (1024).
	Workers int
	Queue   int
	// Logger receives the client's logs. Default slog.Default().
	Logger *slog.Logger
}

func (cfg *ClientConfig) setDefaults() {
	if cfg.MaxFrameSize <= 0 {
		cfg.MaxFrameSize = DefaultMaxFrameSize
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	cfg.IdleTimeout = durationDefault(cfg.IdleTimeout, DefaultIdleTimeout)
	cfg.WriteTimeout = durationDefault(cfg.WriteTimeout, DefaultWriteTimeout)
	if cfg.ReadBufferSize <= 0 {
		cfg.ReadBufferSize = DefaultReadBufferSize
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultClientWorkers
	}
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultClientQueue
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
}

// Client sends requests to remoting servers, one connection per address as
// upstream clients do. Connections are dialed on first use and redialed on
// the next call after they broke. Requests the servers send back on these
// connections go to the handlers registered with Register.
type Client struct {
	cfg    ClientConfig
	log    *slog.Logger
	pool   sync.Pool    // *[]byte frame buffers
	opaque atomic.Int32 // opaques of all requests of this client; first is 1
	ctx    context.Context
	cancel context.CancelFunc
	group  *workerGroup

	hmu      sync.RWMutex
	handlers map[int32]Handler

	mu     sync.Mutex
	closed bool // guarded by mu; also guards sends to group.tasks
	conns  map[string]*dialing
	nextID uint64

	inlineQueue int       // capacity of each connection's inline completions
	inlineCalls sync.Pool // *inlineCall, see asyncConn
}

// dialing is the connection of one address, being dialed until done closes.
type dialing struct {
	done  chan struct{}
	conn  *Conn      // set before done is closed when err is nil
	async *asyncConn // the inline calls of conn; set with conn
	err   error
}

// NewClient returns a client with the given configuration.
func NewClient(cfg ClientConfig) *Client {
	cfg.setDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{
		cfg:      cfg,
		log:      cfg.Logger,
		ctx:      ctx,
		cancel:   cancel,
		group:    newWorkerGroup("client", cfg.Workers, cfg.Queue),
		handlers: make(map[int32]Handler),
		conns:    make(map[string]*dialing),

		inlineQueue: inlineQueue,
	}
	c.pool.New = func() any { b := make([]byte, 0, 4096); return &b }
	c.group.start(c.log, nil)
	return c
}

// Register routes server-initiated requests with the given code to h. It may
// be called at any time. Requests with no handler are answered with
// ResponseRequestCodeNotSupported (unless oneway).
func (c *Client) Register(code int32, h Handler) {
	c.hmu.Lock()
	defer c.hmu.Unlock()
	c.handlers[code] = h
}

// serializeFor picks the serialization of a request: the configured one,
// unless the request cannot be carried in a binary header.
func (c *Client) serializeFor(req *Command) SerializeType {
	st := c.cfg.Serialize
	if st == SerializeRocketMQ && (req.Code < math.MinInt16 || req.Code > math.MaxInt16 ||
		req.Version < math.MinInt16 || req.Version > math.MaxInt16) {
		st = SerializeJSON
	}
	return st
}

// InvokeSync sends req to addr and waits for the response until ctx is done.
// req is not modified (the opaque is assigned to the frame). When ctx's
// deadline passes the error wraps ErrTimeout and context.DeadlineExceeded;
// when the connection breaks, ErrConnClosed. Use a ctx with a deadline: a
// server may never answer.
func (c *Client) InvokeSync(ctx context.Context, addr string, req *Command) (*Command, error) {
	conn, err := c.conn(ctx, addr)
	if err != nil {
		return nil, err
	}
	return conn.invokeSync(ctx, req, c.serializeFor(req))
}

// InvokeAsync sends req to addr and returns once it is queued. cb is called
// exactly once, on its own goroutine, with the response or the error (ctx
// done, connection broken), unless InvokeAsync returns an error, in which
// case cb is never called. req must not be modified until cb runs.
func (c *Client) InvokeAsync(ctx context.Context, addr string, req *Command, cb func(*Command, error)) error {
	conn, err := c.conn(ctx, addr)
	if err != nil {
		return err
	}
	return conn.invokeAsync(ctx, req, c.serializeFor(req), cb)
}

// InvokeOneway sends req to addr with the oneway flag set and returns once it
// is queued; no response is expected. ctx bounds only connecting.
func (c *Client) InvokeOneway(ctx context.Context, addr string, req *Command) error {
	conn, err := c.conn(ctx, addr)
	if err != nil {
		return err
	}
	return conn.send(req, c.serializeFor(req), conn.nextOpaque(), (req.Flag|FlagOneway)&^FlagResponse)
}

// Conn returns the connection to addr, dialing it if needed.
func (c *Client) Conn(ctx context.Context, addr string) (*Conn, error) { return c.conn(ctx, addr) }

func (c *Client) conn(ctx context.Context, addr string) (*Conn, error) {
	d, err := c.dialed(ctx, addr)
	if err != nil {
		return nil, err
	}
	return d.conn, nil
}

// dialed returns the open connection to addr with its state, dialing it if
// needed.
func (c *Client) dialed(ctx context.Context, addr string) (*dialing, error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, ErrClientClosed
		}
		d := c.conns[addr]
		if d == nil {
			// One dial per address at a time; callers wait for it. The dial
			// runs on its own goroutine so no caller's ctx can cancel it
			// for the others.
			d = &dialing{done: make(chan struct{})}
			c.conns[addr] = d
			go c.dial(addr, d)
		}
		c.mu.Unlock()
		select {
		case <-d.done: // connected: the common case, without a full select
		default:
			select {
			case <-d.done:
			case <-ctx.Done():
				return nil, fmt.Errorf("remoting: connect to %s: %w", addr, context.Cause(ctx))
			}
		}
		if d.err != nil {
			return nil, d.err
		}
		if d.conn.Err() == nil {
			return d, nil
		}
		// Broken: forget it (connClosed may not have run yet) and redial.
		c.forget(addr, d)
	}
}

func (c *Client) dial(addr string, d *dialing) {
	defer close(d.done)
	dctx, cancel := context.WithTimeout(c.ctx, c.cfg.DialTimeout)
	defer cancel()
	var dialer net.Dialer
	nc, err := dialer.DialContext(dctx, "tcp", addr)
	if err != nil {
		d.err = fmt.Errorf("remoting: connect to %s: %w", addr, err)
		c.forget(addr, d)
		return
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		_ = nc.Close()
		d.err = ErrClientClosed
		return
	}
	c.nextID++
	async := newAsyncConn(c.inlineQueue, &c.inlineCalls)
	conn := newConn(c.ctx, c.nextID, nc, connOptions{
		maxFrame:     c.cfg.MaxFrameSize,
		idle:         c.cfg.IdleTimeout,
		writeTimeout: c.cfg.WriteTimeout,
		readBuf:      c.cfg.ReadBufferSize,
		fields:       async.wantsFields,
	}, clientOwner{c, addr}, &c.pool, &c.opaque, c.log)
	async.conn = conn // before conn starts reading
	d.conn = conn
	d.async = async
	c.mu.Unlock()
	c.log.Debug("remoting: connected", "conn", conn.id, "addr", addr)
	conn.start()
}

// forget removes d from the table if it is still the entry of addr.
func (c *Client) forget(addr string, d *dialing) {
	c.mu.Lock()
	if c.conns[addr] == d {
		delete(c.conns, addr)
	}
	c.mu.Unlock()
}

// clientOwner is the connOwner of a client connection to addr.
type clientOwner struct {
	c    *Client
	addr string
}

func (o clientOwner) dispatch(conn *Conn, req *Command) {
	c := o.c
	c.hmu.RLock()
	h := c.handlers[req.Code]
	c.hmu.RUnlock()
	if h == nil {
		c.log.Debug("remoting: server-initiated request code not supported", "conn", conn.id, "code", req.Code)
		reply(c.log, conn, req, ResponseRequestCodeNotSupported, notSupportedRemark(req.Code))
		return
	}
	c.mu.Lock()
	ok := !c.closed && c.group.offer(task{conn: conn, req: req, h: h})
	c.mu.Unlock()
	if !ok {
		reply(c.log, conn, req, ResponseSystemBusy, RemarkOverload)
	}
}

func (o clientOwner) connClosed(conn *Conn) {
	c := o.c
	c.mu.Lock()
	if d := c.conns[o.addr]; d != nil && d.conn == conn {
		delete(c.conns, o.addr)
	}
	c.mu.Unlock()
	c.log.Debug("remoting: connection closed", "conn", conn.id, "addr", o.addr, "reason", conn.Err())
}

// CloseAddr closes the connection to addr, if any; calls waiting on it fail
// with ErrConnClosed. The next call to addr dials again.
func (c *Client) CloseAddr(addr string) {
	c.mu.Lock()
	d := c.conns[addr]
	delete(c.conns, addr)
	c.mu.Unlock()
	if d == nil {
		return
	}
	<-d.done
	if d.conn != nil {
		_ = d.conn.Close()
	}
}

// Close closes all connections and stops the client; waiting calls fail with
// ErrConnClosed and later calls with ErrClientClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	ds := c.conns
	c.conns = nil
	close(c.group.tasks) // no offer can follow: offers happen under mu after checking closed
	c.mu.Unlock()
	c.cancel() // aborts dials in progress
	for _, d := range ds {
		<-d.done
		if d.conn != nil {
			_ = d.conn.Close()
		}
	}
	return nil
}
