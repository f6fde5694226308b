package client

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/remoting"
)

// Client is one client instance: the connections to name servers and
// brokers, the route cache, the heartbeat loop and the handlers of requests
// brokers send to clients. Producers, consumers and the admin API are built
// on a Client and share all of that; a process may run several Clients,
// which share nothing (there is no process-wide state).
//
// A Client starts its background loops (route refresh, heartbeat) in New and
// stops them in Close.
type Client struct {
	cfg  Config
	log  *slog.Logger
	rc   *remoting.Client
	id   string
	ip   netip.Addr
	uniq *message.UniqIDGenerator

	nsNext atomic.Uint32 // round-robin position in cfg.NameServers
	routes routeCache
	faults *faultTracker

	mu        sync.Mutex
	closed    bool
	producers map[string]*Producer
	consumers map[string]groupMember

	// hbMu serialises heartbeats and UNREGISTER_CLIENT (upstream's
	// heartbeat lock): a heartbeat built while a group was still
	// registered must be answered before the group unregisters, else a
	// broker handling the two concurrently could take the departed
	// consumer back as a member and the group would never rebalance its
	// queues away.
	hbMu   sync.Mutex
	hbKick chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// groupMember is a consumer registered with a Client: the heartbeat
// describes it and broker-initiated requests for its group reach it.
type groupMember interface {
	heartbeatData() consumerData
	// idsChanged is called when a broker says the group's members changed.
	idsChanged()
	// resetOffsets applies a broker-pushed offset reset for topic.
	resetOffsets(topic string, table map[MessageQueue]int64)
	// runningInfo returns the ConsumerRunningInfo body.
	runningInfo() []byte
	// shutdown stops the member when the Client closes.
	shutdown(ctx context.Context) error
}

// New returns a Client for cfg and starts its background loops.
func New(cfg Config) (*Client, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	ip, _ := netip.ParseAddr(cfg.ClientIP)
	id := cfg.ClientIP + "@" + cfg.InstanceName
	if cfg.UnitName != "" {
		id += "@" + cfg.UnitName
	}
	h := fnv.New32a()
	h.Write([]byte(id))
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{
		cfg: cfg,
		log: cfg.Logger,
		rc: remoting.NewClient(remoting.ClientConfig{
			DialTimeout: cfg.DialTimeout,
			Serialize:   cfg.Serialize,
			Logger:      cfg.Logger,
		}),
		id: id,
		ip: ip,
		// The per-process part of the id (Java's class-loader hash) is
		// derived from the client id so two Clients of one process make
		// distinct ids.
		uniq:      message.NewUniqIDGenerator(ip, os.Getpid(), int32(h.Sum32())),
		faults:    newFaultTracker(),
		producers: make(map[string]*Producer),
		consumers: make(map[string]groupMember),
		hbKick:    make(chan struct{}, 1),
		ctx:       ctx,
		cancel:    cancel,
	}
	c.routes.init()
	c.registerHandlers()
	c.wg.Add(2)
	go c.routeLoop()
	go c.heartbeatLoop()
	return c, nil
}

// ID returns the client id brokers know this Client by (ip@instance).
func (c *Client) ID() string { return c.id }

// Close shuts down the consumers still registered (persisting their
// offsets), stops the background loops and closes all connections. ctx
// bounds the consumers' shutdown.
func (c *Client) Close(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	members := make([]groupMember, 0, len(c.consumers))
	for _, m := range c.consumers {
		members = append(members, m)
	}
	c.mu.Unlock()
	var errs []error
	for _, m := range members {
		if err := m.shutdown(ctx); err != nil && !errors.Is(err, ErrClosed) {
			errs = append(errs, err)
		}
	}
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
	if err := c.rc.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (c *Client) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// addProducer registers a producer group.
func (c *Client) addProducer(p *Producer) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	if _, ok := c.producers[p.group]; ok {
		return fmt.Errorf("%w: producer group %q already registered on this client", ErrInvalidConfig, p.group)
	}
	c.producers[p.group] = p
	return nil
}

func (c *Client) removeProducer(group string) {
	c.mu.Lock()
	delete(c.producers, group)
	c.mu.Unlock()
}

// addConsumer registers a consumer group.
func (c *Client) addConsumer(group string, m groupMember) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	if _, ok := c.consumers[group]; ok {
		return fmt.Errorf("%w: consumer group %q already registered on this client", ErrInvalidConfig, group)
	}
	c.consumers[group] = m
	return nil
}

func (c *Client) removeConsumer(group string, m groupMember) {
	c.mu.Lock()
	if c.consumers[group] == m {
		delete(c.consumers, group)
	}
	c.mu.Unlock()
}

func (c *Client) consumer(group string) groupMember {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.consumers[group]
}

// withTimeout gives ctx the Client's request timeout unless it has a
// deadline already.
func (c *Client) withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	if d <= 0 {
		d = c.cfg.RequestTimeout
	}
	return context.WithTimeout(ctx, d)
}

// invoke sends req to addr and waits for the response; the error names the
// request and the address.
func (c *Client) invoke(ctx context.Context, addr string, req *remoting.Command) (*remoting.Command, error) {
	ctx, cancel := c.withTimeout(ctx, 0)
	defer cancel()
	resp, err := c.rc.InvokeSync(ctx, addr, req)
	if err != nil {
		return nil, c.transportErr(req.Code, addr, err)
	}
	return resp, nil
}

// invokeOK is invoke that also turns a non-success code into a BrokerError.
func (c *Client) invokeOK(ctx context.Context, addr string, req *remoting.Command) (*remoting.Command, error) {
	resp, err := c.invoke(ctx, addr, req)
	if err != nil {
		return nil, err
	}
	if resp.Code != remoting.ResponseSuccess {
		return nil, &BrokerError{Addr: addr, Request: req.Code, Code: resp.Code, Remark: resp.Remark}
	}
	return resp, nil
}

func (c *Client) transportErr(code int32, addr string, err error) error {
	if errors.Is(err, remoting.ErrClientClosed) {
		return fmt.Errorf("client: %s to %s: %w: %w", requestName(code), addr, ErrClosed, err)
	}
	return fmt.Errorf("client: %s to %s: %w", requestName(code), addr, err)
}

// invokeNameServer sends req to the name servers, starting with the next
// one in round-robin order and moving on to the others while the transport
// fails. It returns the first response and the address that gave it; a
// response with a failure code ends the search too and is returned as a
// BrokerError.
func (c *Client) invokeNameServer(ctx context.Context, req *remoting.Command) (*remoting.Command, string, error) {
	ns := c.cfg.NameServers
	start := int(c.nsNext.Add(1)-1) % len(ns)
	var errs []error
	for i := range ns {
		addr := ns[(start+i)%len(ns)]
		resp, err := c.invoke(ctx, addr, req)
		if err == nil {
			if resp.Code != remoting.ResponseSuccess {
				return nil, addr, &BrokerError{Addr: addr, Request: req.Code, Code: resp.Code, Remark: resp.Remark}
			}
			return resp, addr, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil || errors.Is(err, ErrClosed) {
			break
		}
	}
	return nil, "", errors.Join(errs...)
}

// allNameServers sends req to every name server and returns the joined
// errors of those that failed or refused.
func (c *Client) allNameServers(ctx context.Context, req *remoting.Command) error {
	var errs []error
	for _, addr := range c.cfg.NameServers {
		if _, err := c.invokeOK(ctx, addr, req); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// routeLoop refreshes the routes of all topics in use.
func (c *Client) routeLoop() {
	defer c.wg.Done()
	t := time.NewTicker(c.cfg.RouteRefreshInterval)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
			c.refreshAllRoutes(c.ctx)
		}
	}
}

// refreshAllRoutes fetches the route of every cached topic again. Failures
// keep the old route: a name server that is briefly away must not make
// producers forget where to send.
func (c *Client) refreshAllRoutes(ctx context.Context) {
	for _, topic := range c.routes.topicNames() {
		if _, err := c.refreshRoute(ctx, topic); err != nil && ctx.Err() == nil {
			c.log.Debug("client: route refresh failed", "topic", topic, "err", err)
		}
	}
}

// kickHeartbeat asks the heartbeat loop to send a heartbeat now.
func (c *Client) kickHeartbeat() {
	select {
	case c.hbKick <- struct{}{}:
	default:
	}
}

func (c *Client) heartbeatLoop() {
	defer c.wg.Done()
	t := time.NewTicker(c.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		case <-c.hbKick:
		}
		c.sendHeartbeats(c.ctx)
	}
}

// goBackground runs f on a goroutine the Client waits for in Close, unless
// the Client is closed already.
func (c *Client) goBackground(f func(ctx context.Context)) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.wg.Add(1) // before Close's Wait: Close sets closed under mu first
	c.mu.Unlock()
	go func() {
		defer c.wg.Done()
		f(c.ctx)
	}()
}

// refreshRouteAsync fetches topic's route in the background (after a send
// failed in a way that suggests the route changed).
func (c *Client) refreshRouteAsync(topic string) {
	c.goBackground(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
		defer cancel()
		if _, err := c.refreshRoute(ctx, topic); err != nil && ctx.Err() == nil {
			c.log.Debug("client: route refresh failed", "topic", topic, "err", err)
		}
	})
}
