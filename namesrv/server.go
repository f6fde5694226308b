package namesrv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/saturnmq/saturn/remoting"
)

// Handler group names. Route queries get a group of their own so that a
// flood of broker registrations cannot delay clients (upstream does the same
// with its client request executor).
const (
	groupDefault = "namesrv"
	groupClient  = "namesrv-client"
)

// Server is a running name server: a route table and KV store served over
// the remoting protocol, plus the timer that drops silent brokers. Each
// Server is independent; several may run in one process.
type Server struct {
	cfg    Config
	log    *slog.Logger
	routes *RouteTable
	kv     *KVStore
	rs     *remoting.Server
	ownRS  bool // rs was created by New and is started/stopped with the Server

	scans atomic.Int64 // completed expiry scans, for tests

	mu      sync.Mutex
	started bool
	stopped bool
	stop    chan struct{}
	done    chan struct{}
}

// New returns a name server listening on cfg.ListenAddr once started. Zero
// fields of cfg take their defaults; logger nil means slog.Default().
func New(cfg Config, logger *slog.Logger) (*Server, error) {
	return newListening(cfg, logger, nil)
}

// newListening is New with an injectable clock.
func newListening(cfg Config, logger *slog.Logger, now func() time.Time) (*Server, error) {
	n, err := newServer(cfg, logger, now)
	if err != nil {
		return nil, err
	}
	n.rs = remoting.NewServer(remoting.ServerConfig{
		Addr:         n.cfg.ListenAddr,
		MaxFrameSize: n.cfg.MaxFrameSize,
		IdleTimeout:  n.cfg.IdleTimeout,
		Logger:       n.log,
	})
	n.ownRS = true
	n.mount()
	return n, nil
}

// Attach returns a name server that serves its requests on rs, a remoting
// server owned by the caller, instead of listening itself. It registers its
// handlers and connection-close hook on rs, so it must be called before
// rs.Start. Start then only starts the expiry timer, and Shutdown stops it;
// starting and shutting down rs stay the caller's business. cfg.ListenAddr,
// IdleTimeout and MaxFrameSize are not used.
func Attach(rs *remoting.Server, cfg Config, logger *slog.Logger) (*Server, error) {
	n, err := newServer(cfg, logger, nil)
	if err != nil {
		return nil, err
	}
	n.rs = rs
	n.mount()
	return n, nil
}

// newServer builds everything but the remoting side. now nil means
// time.Now; tests pass a fake clock.
func newServer(cfg Config, logger *slog.Logger, now func() time.Time) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	logger = logger.With("component", "namesrv")
	kv, err := OpenKVStore(cfg.KVConfigPath)
	if err != nil {
		return nil, fmt.Errorf("namesrv: %w", err)
	}
	if len(cfg.Ignored) > 0 {
		logger.Info("namesrv: config keys accepted but not used", "keys", cfg.Ignored)
	}
	return &Server{
		cfg:    cfg,
		log:    logger,
		routes: NewRouteTable(cfg.BrokerExpiry, now),
		kv:     kv,
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}, nil
}

// mount registers the handlers and the connection-close hook on n.rs.
func (n *Server) mount() {
	n.rs.RegisterGroup(groupDefault, n.cfg.Workers, n.cfg.Queue)
	n.rs.RegisterGroup(groupClient, n.cfg.ClientWorkers, n.cfg.ClientQueue)
	for code, h := range n.handlers() {
		group := groupDefault
		if code == remoting.RequestGetRouteInfoByTopic {
			group = groupClient
		}
		n.rs.Register(code, group, remoting.HandlerFunc(func(ctx context.Context, conn *remoting.Conn, req *remoting.Command) *remoting.Command {
			return h(ctx, conn.ID(), req)
		}))
	}
	n.rs.OnConnClose(n.connClosed)
}

// connClosed drops the brokers that registered over a connection that
// closed: a broker that went away does not wait for the expiry.
func (n *Server) connClosed(c *remoting.Conn) {
	for _, b := range n.routes.ConnClosed(c.ID()) {
		n.log.Info("namesrv: broker connection closed, broker removed",
			"cluster", b.Cluster, "broker", b.Addr, "remote", c.RemoteAddr().String())
	}
}

// Start starts listening (unless attached to a caller's remoting server) and
// the timer that drops silent brokers.
func (n *Server) Start() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.started {
		return errors.New("namesrv: already started")
	}
	if n.ownRS {
		if err := n.rs.Start(); err != nil {
			return fmt.Errorf("namesrv: %w", err)
		}
		n.log.Info("namesrv: started", "addr", n.rs.Addr().String(),
			"brokerExpiry", n.cfg.BrokerExpiry, "kvConfig", n.cfg.KVConfigPath)
	}
	n.started = true
	go n.scanLoop()
	return nil
}

func (n *Server) scanLoop() {
	defer close(n.done)
	t := time.NewTicker(n.cfg.ScanInterval)
	defer t.Stop()
	for {
		select {
		case <-n.stop:
			return
		case <-t.C:
			n.ScanNow()
			n.scans.Add(1)
		}
	}
}

// ScanNow drops the brokers whose expiry has passed, as the periodic scan
// does, and returns them.
func (n *Server) ScanNow() []BrokerAddr {
	expired := n.routes.ScanExpired()
	for _, b := range expired {
		n.log.Warn("namesrv: broker expired, removed", "cluster", b.Cluster, "broker", b.Addr)
	}
	return expired
}

// Addr returns the address the server listens on (that of the caller's
// remoting server when attached), or nil before Start.
func (n *Server) Addr() net.Addr {
	return n.rs.Addr()
}

// Shutdown stops the expiry timer and, unless attached, the remoting
// server, waiting for requests in progress until ctx ends.
func (n *Server) Shutdown(ctx context.Context) error {
	n.mu.Lock()
	if !n.started || n.stopped {
		n.mu.Unlock()
		return errors.New("namesrv: not running")
	}
	n.stopped = true
	n.mu.Unlock()

	close(n.stop)
	var err error
	if n.ownRS {
		err = n.rs.Shutdown(ctx)
	}
	select {
	case <-n.done:
	case <-ctx.Done():
		if err == nil {
			err = ctx.Err()
		}
	}
	if err != nil {
		return fmt.Errorf("namesrv: shutdown: %w", err)
	}
	n.log.Info("namesrv: stopped")
	return nil
}

// Routes returns the server's route table.
func (n *Server) Routes() *RouteTable { return n.routes }

// KV returns the server's KV config store.
func (n *Server) KV() *KVStore { return n.kv }
