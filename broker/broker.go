package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/saturnmq/saturn/broker/clients"
	"github.com/saturnmq/saturn/broker/meta"
	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/remoting"
	"github.com/saturnmq/saturn/store"
)

// Broker is one RocketMQ-compatible broker: a remoting server in front of a
// message store and the topic, group and offset tables.
//
// Use New, then Start; Shutdown stops it. Two brokers with different data
// directories can run in one process.
type Broker struct {
	cfg    Config
	logger *slog.Logger
	now    func() time.Time

	store   *store.Store
	topics  *meta.TopicTable
	groups  *meta.GroupTable
	offsets *meta.OffsetTable
	clients *clients.Manager

	server    *remoting.Server
	nsClient  *remoting.Client
	registrar *registrar

	// asyncSends: SYNC_FLUSH sends are answered from the store's
	// completion callback (see storeSend); sends counts them.
	asyncSends bool
	sends      pendingSends

	holds *pullHolds
	wake  *taskQueue // re-executes woken pulls
	// coldPulls reads pulls of messages no longer in memory off the
	// connections' readers; coldPending counts those queued or running.
	coldPulls   *taskQueue
	coldPending atomic.Int64
	stats       stats
	// singles recycles the memory of single sends (*singleMsg) once
	// their response was encoded.
	singles sync.Pool

	uniq *message.UniqIDGenerator
	// memWindow is how far (bytes) behind the commit-log end a message still
	// counts as cached in memory (accessMessageInMemoryMaxRatio of RAM).
	memWindow atomic.Int64

	// ready is closed once Start has set the fields below; handlers wait
	// for it, since the server may accept a request before Start returns.
	ready chan struct{}
	// Set by Start, read-only afterwards.
	addr       net.Addr       // where the server listens
	storeHost  netip.AddrPort // announced address, written into records
	brokerAddr string         // storeHost as "ip:port"
	bootTime   time.Time

	ctx     context.Context // ends at Shutdown; stops the background loops
	cancel  context.CancelFunc
	loops   sync.WaitGroup
	started atomic.Bool // Start was called
	serving atomic.Bool // the server listens and the registrar runs
	stopped atomic.Bool
}

// New opens the broker's data directory (message store and metadata) and
// prepares its request handlers. It does not listen yet: call Start.
func New(cfg Config, logger *slog.Logger) (*Broker, error) {
	if logger == nil {
		logger = slog.Default()
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("broker config: %w", err)
	}
	for _, k := range cfg.ignored {
		logger.Warn("broker config key has no effect in Saturn, ignored", "key", k)
	}
	if err := os.MkdirAll(cfg.StorePathRootDir, 0o755); err != nil {
		return nil, fmt.Errorf("create store directory: %w", err)
	}
	b := &Broker{
		cfg:    cfg,
		logger: logger.With("broker", cfg.BrokerName),
		now:    time.Now,
		holds:  newPullHolds(),
		ready:  make(chan struct{}),
	}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.memWindow.Store(physicalMemory() * int64(cfg.AccessMessageInMemoryMaxRatio) / 100)
	if err := b.openMeta(); err != nil {
		return nil, err
	}
	st, err := store.Open(store.Config{
		Dir:              cfg.StorePathRootDir,
		SegmentSize:      cfg.MappedFileSizeCommitLog,
		MaxMessageSize:   cfg.MaxMessageSize,
		FlushMode:        storeFlushMode(cfg.FlushDiskType),
		FlushInterval:    cfg.FlushIntervalCommitLog,
		SyncFlushTimeout: cfg.SyncFlushTimeout,
		FileReservedTime: cfg.FileReservedTime,
		DeleteWhen:       cfg.DeleteWhen,
		DiskMaxUsedRatio: cfg.DiskMaxUsedSpaceRatio,
		Logger:           logger.With("component", "store"),
	})
	if err != nil {
		b.persistMeta()
		return nil, fmt.Errorf("open message store: %w", err)
	}
	b.store = st
	b.asyncSends = cfg.FlushDiskType == SyncFlush
	b.sends.limit = int64(cfg.MaxPendingSyncSends)
	b.clients = clients.NewManager(clients.ManagerConfig{ChannelExpiry: cfg.ChannelExpiredTimeout}, b.logger.With("component", "clients"))
	b.server = remoting.NewServer(remoting.ServerConfig{
		Addr:         net.JoinHostPort(cfg.ListenHost, strconv.Itoa(cfg.ListenPort)),
		MaxFrameSize: cfg.maxFrameSize(),
		IdleTimeout:  cfg.ServerChannelMaxIdleTime,
		Logger:       logger.With("component", "remoting"),
	})
	b.routes()
	b.server.OnConnClose(b.connClosed)
	b.store.OnArrival(b.messageArrived)
	return b, nil
}

// openMeta loads topics.json, subscriptionGroup.json and consumerOffset.json
// from <storePathRootDir>/config, as upstream lays them out, and adds the
// system topics.
func (b *Broker) openMeta() error {
	dir := filepath.Join(b.cfg.StorePathRootDir, "config")
	var err error
	if b.topics, err = meta.OpenTopicTable(filepath.Join(dir, "topics.json")); err != nil {
		return fmt.Errorf("load topics: %w", err)
	}
	if b.groups, err = meta.OpenGroupTable(filepath.Join(dir, "subscriptionGroup.json")); err != nil {
		return fmt.Errorf("load subscription groups: %w", err)
	}
	if b.offsets, err = meta.OpenOffsetTable(filepath.Join(dir, "consumerOffset.json")); err != nil {
		return fmt.Errorf("load consumer offsets: %w", err)
	}
	err = b.topics.EnsureSystemTopics(meta.SystemTopicOptions{
		ClusterName:           b.cfg.BrokerClusterName,
		BrokerName:            b.cfg.BrokerName,
		AutoCreateTopicEnable: b.cfg.AutoCreateTopicEnable,
		DefaultTopicQueueNums: int32(b.cfg.DefaultTopicQueueNums),
		ClusterTopicEnable:    b.cfg.ClusterTopicEnable,
		BrokerTopicEnable:     b.cfg.BrokerTopicEnable,
		TraceTopicEnable:      b.cfg.TraceTopicEnable,
		TraceTopicName:        b.cfg.MsgTraceTopicName,
	})
	if err != nil {
		return fmt.Errorf("create system topics: %w", err)
	}
	return nil
}

func storeFlushMode(t FlushDiskType) store.FlushMode {
	if t == SyncFlush {
		return store.SyncFlush
	}
	return store.AsyncFlush
}

// Start listens, works out the address to announce, registers with the name
// servers and starts the background tasks. It waits (briefly) for the first
// registration so that clients started right after find the broker's routes;
// an unreachable name server is logged and retried, not an error.
func (b *Broker) Start() error {
	if !b.started.CompareAndSwap(false, true) {
		return errors.New("broker: already started")
	}
	ip, loopback, err := announceAddr(b.cfg.BrokerIP1, b.cfg.ListenHost, interfaceAddrs)
	if err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	if loopback {
		b.logger.Warn("no non-loopback address found; announcing 127.0.0.1, set brokerIP1 so that other hosts can connect")
	}
	if !ip.Is4() {
		b.logger.Warn("announced address is not IPv4; the Go client cannot decode IPv6 message ids", "ip", ip)
	}
	b.bootTime = b.now()
	b.uniq = message.NewUniqIDGenerator(ip, os.Getpid(), int32(b.bootTime.UnixNano()))
	b.wake = newTaskQueue(max(4, b.cfg.PullWorkers/2))
	b.coldPulls = newTaskQueue(b.cfg.PullWorkers)
	b.nsClient = remoting.NewClient(remoting.ClientConfig{Logger: b.logger.With("component", "namesrv-client")})
	b.registrar = newRegistrar(b)
	if err := b.server.Start(); err != nil {
		b.wake.close()
		b.coldPulls.close()
		_ = b.nsClient.Close()
		b.wake, b.coldPulls, b.nsClient, b.registrar = nil, nil, nil, nil
		return fmt.Errorf("broker: listen: %w", err)
	}
	b.serving.Store(true)
	// The port is known only now (listenPort 0 picks one). Requests that
	// arrived meanwhile wait in their handlers for ready.
	b.addr = b.server.Addr()
	port := 0
	if tcp, ok := b.addr.(*net.TCPAddr); ok {
		port = tcp.Port
	}
	b.storeHost = netip.AddrPortFrom(ip, uint16(port))
	b.brokerAddr = b.storeHost.String()
	close(b.ready)

	b.loop(b.cfg.registerPeriod(), func() { b.registrar.request() })
	b.loop(b.cfg.FlushConsumerOffsetInterval, b.persistOffsets)
	b.loop(clientScanInterval, b.scanExpiredClients)
	b.loop(holdSweepInterval, b.sweepHolds)
	b.loop(time.Second, func() { b.stats.sample(b.now()) })
	b.loops.Add(1)
	go func() {
		defer b.loops.Done()
		b.registrar.run(b.ctx)
	}()

	b.logger.Info("broker started", "listen", b.addr.String(), "announce", b.brokerAddr,
		"cluster", b.cfg.BrokerClusterName, "namesrv", b.cfg.NamesrvAddrs, "store", b.cfg.StorePathRootDir,
		"flush", string(b.cfg.FlushDiskType))
	if len(b.cfg.NamesrvAddrs) > 0 {
		ctx, cancel := context.WithTimeout(b.ctx, firstRegisterWait)
		if err := b.registrar.registerNow(ctx); err != nil {
			b.logger.Warn("first registration with the name servers not confirmed yet; retrying in the background", "err", err)
		}
		cancel()
	}
	return nil
}

// Background periods that upstream fixes rather than configures.
const (
	clientScanInterval = 10 * time.Second
	holdSweepInterval  = time.Second
	// firstRegisterWait bounds how long Start waits for the name servers.
	firstRegisterWait = 5 * time.Second
)

// loop runs fn every period until Shutdown.
func (b *Broker) loop(period time.Duration, fn func()) {
	b.loops.Add(1)
	go func() {
		defer b.loops.Done()
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-b.ctx.Done():
				return
			case <-t.C:
				fn()
			}
		}
	}()
}

// Addr returns the address the broker listens on (nil before Start).
func (b *Broker) Addr() net.Addr { return b.addr }

// AnnouncedAddr returns the "ip:port" the broker registers with name servers
// and writes as store host into messages ("" before Start).
func (b *Broker) AnnouncedAddr() string { return b.brokerAddr }

// Shutdown stops the broker: it unregisters from the name servers, stops
// serving (waiting for requests in progress), writes consumer offsets and
// metadata, and closes the store so that everything acknowledged is on disk.
// When ctx ends first, connections are closed at once but the data is still
// written.
func (b *Broker) Shutdown(ctx context.Context) error {
	if !b.stopped.CompareAndSwap(false, true) {
		return nil
	}
	var errs []error
	if b.serving.Load() {
		b.registrar.unregister(ctx)
		// Sends answered later are not waited for by the server's
		// Shutdown: answer them first, while their connections are open.
		if err := b.sends.drain(ctx); err != nil {
			errs = append(errs, fmt.Errorf("drain sends: %w", err))
		}
		if err := b.server.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop remoting server: %w", err))
		}
	}
	b.cancel()
	b.loops.Wait()
	if n := len(b.holds.drain()); n > 0 {
		b.logger.Debug("dropped held pulls at shutdown", "count", n)
	}
	if b.wake != nil {
		b.wake.close()
	}
	if b.coldPulls != nil {
		// After the server stopped: no pull is offloaded any more.
		b.coldPulls.close()
	}
	if b.nsClient != nil {
		_ = b.nsClient.Close()
	}
	if err := b.persistMeta(); err != nil {
		errs = append(errs, err)
	}
	if err := b.store.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close store: %w", err))
	}
	if len(errs) == 0 {
		b.logger.Info("broker stopped")
	}
	return errors.Join(errs...)
}

// persistMeta writes every metadata table that changed.
func (b *Broker) persistMeta() error {
	var errs []error
	if b.offsets != nil {
		if err := b.offsets.Persist(); err != nil {
			errs = append(errs, fmt.Errorf("persist consumer offsets: %w", err))
		}
	}
	if b.topics != nil {
		if err := b.topics.Persist(); err != nil {
			errs = append(errs, fmt.Errorf("persist topics: %w", err))
		}
	}
	if b.groups != nil {
		if err := b.groups.Persist(); err != nil {
			errs = append(errs, fmt.Errorf("persist subscription groups: %w", err))
		}
	}
	return errors.Join(errs...)
}

func (b *Broker) persistOffsets() {
	if err := b.offsets.Persist(); err != nil {
		b.logger.Error("persist consumer offsets", "err", err)
	}
}

// sweepHolds answers held pulls whose time is up or whose queue has grown.
func (b *Broker) sweepHolds() {
	due := b.holds.sweep(b.now(), func(k queueKey) int64 { return b.store.MaxOffset(k.topic, k.queueID) })
	for _, h := range due {
		b.wake.push(h.run)
	}
}

// messageArrived is the store's arrival callback: it runs on the store's
// dispatch goroutine for every message, so it only hands woken pulls to the
// wake queue.
func (b *Broker) messageArrived(topic string, queueID int32, maxOffset, tagsCode int64) {
	woken := b.holds.arrived(queueKey{topic, queueID}, maxOffset, tagsCode)
	if len(woken) == 0 || b.wake == nil {
		return
	}
	for _, h := range woken {
		b.wake.push(h.run)
	}
}

// connClosed drops everything tied to a closed connection.
func (b *Broker) connClosed(c *remoting.Conn) {
	b.holds.dropOwner(c)
	b.clients.ConnClosed(c)
}
