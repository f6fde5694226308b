package broker

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// FlushDiskType says when a send is answered relative to the disk flush.
type FlushDiskType string

const (
	// AsyncFlush answers sends once the message is in the page cache; a
	// background flusher writes it to disk every FlushIntervalCommitLog.
	AsyncFlush FlushDiskType = "ASYNC_FLUSH"
	// SyncFlush answers sends only after the message is on disk; a flush that
	// takes longer than SyncFlushTimeout is answered FLUSH_DISK_TIMEOUT.
	SyncFlush FlushDiskType = "SYNC_FLUSH"
)

// Config is the broker's configuration. Field comments give the broker.conf
// key (RocketMQ's own name) and the default. DefaultConfig returns a Config
// with every default filled in; LoadConfigFile reads a broker.conf file on
// top of it and Set applies one key.
type Config struct {
	// BrokerClusterName (brokerClusterName) is the cluster the broker
	// registers in. Default "DefaultCluster".
	BrokerClusterName string
	// BrokerName (brokerName) names the broker in routes. Default "broker-a".
	BrokerName string
	// BrokerID (brokerId) is 0 for a master; Saturn has no slaves, so only 0
	// is accepted.
	BrokerID int64
	// NamesrvAddrs (namesrvAddr, "host:port;host:port") are the name servers
	// to register with. Default none: the broker then registers nowhere.
	NamesrvAddrs []string
	// BrokerIP1 (brokerIP1) is the IP address announced to name servers and
	// written as store host into every message. Default: the address the
	// broker listens on when that is one specific address, otherwise the
	// first non-loopback IPv4 address of the host.
	BrokerIP1 string
	// ListenHost (listenHost, Saturn's own key) is the address to bind.
	// Default "" (every interface).
	ListenHost string
	// ListenPort (listenPort) is the TCP port to serve. Default 10911; 0
	// picks a free port.
	ListenPort int
	// StorePathRootDir (storePathRootDir) holds the message store and the
	// config/ directory with topics, groups and offsets. Default
	// "$HOME/store".
	StorePathRootDir string

	// FlushDiskType (flushDiskType) is ASYNC_FLUSH (default) or SYNC_FLUSH.
	FlushDiskType FlushDiskType
	// FlushIntervalCommitLog (flushIntervalCommitLog, ms) is the asynchronous
	// flush period. Default 500 ms.
	FlushIntervalCommitLog time.Duration
	// SyncFlushTimeout (syncFlushTimeout, ms) bounds the wait for a synchronous
	// flush. Default 5 s.
	SyncFlushTimeout time.Duration
	// MappedFileSizeCommitLog (mappedFileSizeCommitLog, bytes) is the commit
	// log segment size. Default 1 GiB.
	MappedFileSizeCommitLog int64
	// MaxMessageSize (maxMessageSize, bytes) is the largest message body (and
	// batch body) accepted. Default 4 MiB.
	MaxMessageSize int
	// FileReservedTime (fileReservedTime, hours) is how long commit-log
	// segments are kept. Default 72 h.
	FileReservedTime time.Duration
	// DeleteWhen (deleteWhen) lists the hours of the day ("04", "01;04") at
	// which expired segments are deleted. Default "04".
	DeleteWhen string
	// DiskMaxUsedSpaceRatio (diskMaxUsedSpaceRatio, percent) makes the store
	// delete expired segments at once above this disk usage. Default 75.
	DiskMaxUsedSpaceRatio int

	// AutoCreateTopicEnable (autoCreateTopicEnable) lets a send to an unknown
	// topic create it from the default topic TBW102. Default true.
	AutoCreateTopicEnable bool
	// AutoCreateSubscriptionGroup (autoCreateSubscriptionGroup) creates a
	// subscription group on its first heartbeat or pull. Default true.
	AutoCreateSubscriptionGroup bool
	// DefaultTopicQueueNums (defaultTopicQueueNums) is the queue count of
	// TBW102, the upper bound for auto-created topics. Default 8.
	DefaultTopicQueueNums int
	// BrokerPermission (brokerPermission) is the permission of the whole
	// broker (4 read, 2 write). Default 6.
	BrokerPermission int
	// ClusterTopicEnable (clusterTopicEnable) creates a topic named after the
	// cluster at start. Default true.
	ClusterTopicEnable bool
	// BrokerTopicEnable (brokerTopicEnable) creates a topic named after the
	// broker at start. Default true.
	BrokerTopicEnable bool
	// TraceTopicEnable (traceTopicEnable) creates MsgTraceTopicName at start.
	// Default false.
	TraceTopicEnable bool
	// MsgTraceTopicName (msgTraceTopicName). Default "RMQ_SYS_TRACE_TOPIC".
	MsgTraceTopicName string
	// RegionID (regionId) is returned to producers as MSG_REGION and stored
	// with every message. Default "DefaultRegion".
	RegionID string
	// TraceOn (traceOn) is returned to producers as TRACE_ON. Default true.
	TraceOn bool

	// LongPollingEnable (longPollingEnable) holds a pull that finds nothing
	// for the time the client asked for. Default true.
	LongPollingEnable bool
	// ShortPollingTime (shortPollingTimeMills, ms) is the hold time when long
	// polling is off. Default 1 s.
	ShortPollingTime time.Duration
	// MaxTransferBytes (maxTransferBytesOnMessageInMemory) caps the bytes of
	// one pull response; a single larger message is still served. Default
	// 256 KiB.
	MaxTransferBytes int
	// MaxTransferCount (maxTransferCountOnMessageInMemory) caps the messages
	// of one pull response. Default 32.
	MaxTransferCount int
	// MaxTransferBytesOnDisk (maxTransferBytesOnMessageInDisk) caps the
	// bytes of a pull that starts at a message no longer counted as in
	// memory (see AccessMessageInMemoryMaxRatio). Default 64 KiB.
	MaxTransferBytesOnDisk int
	// MaxTransferCountOnDisk (maxTransferCountOnMessageInDisk) caps the
	// messages of such a pull. Default 8.
	MaxTransferCountOnDisk int
	// AccessMessageInMemoryMaxRatio (accessMessageInMemoryMaxRatio, percent of
	// physical memory) decides whether a message still counts as "in
	// memory": it does while it lies within that many bytes of the commit
	// log's end. A pull of older messages reads from the disk: it is served
	// off the connection's reader and with the on-disk limits above; and a
	// new group asking where to start begins at the queue's end rather
	// than at such a first message. Default 40.
	AccessMessageInMemoryMaxRatio int

	// RegisterNameServerPeriod (registerNameServerPeriod, ms) is the period of
	// REGISTER_BROKER. Default 30 s (bounded to [10 s, 60 s] as upstream).
	RegisterNameServerPeriod time.Duration
	// RegisterBrokerTimeout (registerBrokerTimeoutMills, ms) bounds one
	// registration round trip. Default 24 s.
	RegisterBrokerTimeout time.Duration
	// FlushConsumerOffsetInterval (flushConsumerOffsetInterval, ms) is how
	// often consumer offsets are written to disk. Default 5 s.
	FlushConsumerOffsetInterval time.Duration
	// ChannelExpiredTimeout (channelExpiredTimeout, ms) drops a client that
	// has not sent a heartbeat for this long. Default 120 s.
	ChannelExpiredTimeout time.Duration
	// ServerChannelMaxIdleTime (serverChannelMaxIdleTimeSeconds, s) closes
	// connections without any traffic. Default 120 s.
	ServerChannelMaxIdleTime time.Duration

	// SendWorkers (sendMessageThreadPoolNums) is the number of send handlers.
	// A send handler may wait for a synchronous flush, and the more sends
	// wait together the more one flush covers, so there are many. Default
	// max(32, 8×CPUs).
	SendWorkers int
	// SendQueueCapacity (sendThreadPoolQueueCapacity) bounds the sends
	// waiting for a handler; beyond it sends are answered SYSTEM_BUSY.
	// Default 10000.
	SendQueueCapacity int
	// MaxPendingSyncSends bounds the SYNC_FLUSH sends whose handler has
	// returned and that wait for their sync to be answered (each holds its
	// message until then). Beyond it a send waits for its sync in its send
	// worker, so that the send queue and then SYSTEM_BUSY push back.
	// Default 10000; 0 makes every send wait in its worker. Not a
	// broker.conf key.
	MaxPendingSyncSends int
	// PullWorkers (pullMessageThreadPoolNums) is the number of pull handlers.
	// Default 16+2×CPUs.
	PullWorkers int
	// PullQueueCapacity (pullThreadPoolQueueCapacity) bounds the pulls
	// waiting for a handler. Default 100000.
	PullQueueCapacity int

	// commitLogPath is a storePathCommitLog value from a config file, checked
	// against StorePathRootDir once the file is read.
	commitLogPath string
	// ignored lists broker.conf keys that were accepted for compatibility but
	// have no effect in Saturn; New logs them.
	ignored []string
}

// Upstream defaults that other code refers to.
const (
	defaultClusterName   = "DefaultCluster"
	defaultBrokerName    = "broker-a"
	defaultListenPort    = 10911
	defaultRegionID      = "DefaultRegion"
	defaultTraceTopic    = "RMQ_SYS_TRACE_TOPIC"
	defaultMaxMessage    = 4 << 20
	minRegisterPeriod    = 10 * time.Second
	maxRegisterPeriod    = 60 * time.Second
	defaultRegisterEvery = 30 * time.Second
)

// DefaultConfig returns the configuration of a broker with RocketMQ's
// defaults (see the field comments of Config).
func DefaultConfig() Config {
	root := "store"
	if home, err := os.UserHomeDir(); err == nil {
		root = filepath.Join(home, "store")
	}
	cpus := runtime.NumCPU()
	return Config{
		BrokerClusterName:             defaultClusterName,
		BrokerName:                    defaultBrokerName,
		ListenPort:                    defaultListenPort,
		StorePathRootDir:              root,
		FlushDiskType:                 AsyncFlush,
		FlushIntervalCommitLog:        500 * time.Millisecond,
		SyncFlushTimeout:              5 * time.Second,
		MappedFileSizeCommitLog:       1 << 30,
		MaxMessageSize:                defaultMaxMessage,
		FileReservedTime:              72 * time.Hour,
		DeleteWhen:                    "04",
		DiskMaxUsedSpaceRatio:         75,
		AutoCreateTopicEnable:         true,
		AutoCreateSubscriptionGroup:   true,
		DefaultTopicQueueNums:         8,
		BrokerPermission:              6,
		ClusterTopicEnable:            true,
		BrokerTopicEnable:             true,
		MsgTraceTopicName:             defaultTraceTopic,
		RegionID:                      defaultRegionID,
		TraceOn:                       true,
		LongPollingEnable:             true,
		ShortPollingTime:              time.Second,
		MaxTransferBytes:              256 << 10,
		MaxTransferCount:              32,
		MaxTransferBytesOnDisk:        64 << 10,
		MaxTransferCountOnDisk:        8,
		AccessMessageInMemoryMaxRatio: 40,
		RegisterNameServerPeriod:      defaultRegisterEvery,
		RegisterBrokerTimeout:         24 * time.Second,
		FlushConsumerOffsetInterval:   5 * time.Second,
		ChannelExpiredTimeout:         120 * time.Second,
		ServerChannelMaxIdleTime:      120 * time.Second,
		SendWorkers:                   max(32, 8*cpus),
		SendQueueCapacity:             10000,
		MaxPendingSyncSends:           10000,
		PullWorkers:                   16 + 2*cpus,
		PullQueueCapacity:             100000,
	}
}

// Validate reports every invalid setting of c at once.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.BrokerClusterName == "" {
		bad("brokerClusterName", "must not be empty")
	}
	if err := validateName(c.BrokerName); err != nil {
		bad("brokerName", "%v", err)
	}
	if c.BrokerID != 0 {
		bad("brokerId", "%d: Saturn runs masters only, brokerId must be 0", c.BrokerID)
	}
	for _, a := range c.NamesrvAddrs {
		if _, err := netip.ParseAddrPort(a); err != nil && !isHostPort(a) {
			bad("namesrvAddr", "%q is not host:port", a)
		}
	}
	if c.BrokerIP1 != "" {
		if _, err := netip.ParseAddr(c.BrokerIP1); err != nil {
			bad("brokerIP1", "%q is not an IP address", c.BrokerIP1)
		}
	}
	if c.ListenHost != "" {
		if _, err := netip.ParseAddr(c.ListenHost); err != nil {
			bad("listenHost", "%q is not an IP address", c.ListenHost)
		}
	}
	if c.ListenPort < 0 || c.ListenPort > 65535 {
		bad("listenPort", "%d is not a TCP port", c.ListenPort)
	}
	if c.StorePathRootDir == "" {
		bad("storePathRootDir", "must not be empty")
	} else if err := c.checkCommitLogPath(); err != nil {
		errs = append(errs, err)
	}
	if c.FlushDiskType != AsyncFlush && c.FlushDiskType != SyncFlush {
		bad("flushDiskType", "%q: want ASYNC_FLUSH or SYNC_FLUSH", c.FlushDiskType)
	}
	positive := []struct {
		key string
		d   time.Duration
	}{
		{"flushIntervalCommitLog", c.FlushIntervalCommitLog},
		{"syncFlushTimeout", c.SyncFlushTimeout},
		{"shortPollingTimeMills", c.ShortPollingTime},
		{"registerNameServerPeriod", c.RegisterNameServerPeriod},
		{"registerBrokerTimeoutMills", c.RegisterBrokerTimeout},
		{"flushConsumerOffsetInterval", c.FlushConsumerOffsetInterval},
		{"channelExpiredTimeout", c.ChannelExpiredTimeout},
		{"serverChannelMaxIdleTimeSeconds", c.ServerChannelMaxIdleTime},
	}
	for _, p := range positive {
		if p.d <= 0 {
			bad(p.key, "must be positive")
		}
	}
	if c.FileReservedTime <= 0 {
		bad("fileReservedTime", "must be positive")
	}
	if c.MappedFileSizeCommitLog < 1<<20 {
		bad("mappedFileSizeCommitLog", "%d is below 1 MiB", c.MappedFileSizeCommitLog)
	}
	if c.MaxMessageSize <= 0 {
		bad("maxMessageSize", "must be positive")
	} else if int64(c.MaxMessageSize)+64<<10 > c.MappedFileSizeCommitLog {
		bad("maxMessageSize", "%d does not fit in a commit-log segment of %d bytes", c.MaxMessageSize, c.MappedFileSizeCommitLog)
	}
	if _, err := parseDeleteWhen(c.DeleteWhen); err != nil {
		bad("deleteWhen", "%v", err)
	}
	if c.DiskMaxUsedSpaceRatio < 10 || c.DiskMaxUsedSpaceRatio > 95 {
		bad("diskMaxUsedSpaceRatio", "%d: want 10..95", c.DiskMaxUsedSpaceRatio)
	}
	if c.DefaultTopicQueueNums < 1 || c.DefaultTopicQueueNums > maxQueueNums {
		bad("defaultTopicQueueNums", "%d: want 1..%d", c.DefaultTopicQueueNums, maxQueueNums)
	}
	if c.BrokerPermission < 0 || c.BrokerPermission > 7 {
		bad("brokerPermission", "%d: want 0..7", c.BrokerPermission)
	}
	if c.MsgTraceTopicName == "" {
		bad("msgTraceTopicName", "must not be empty")
	}
	if c.MaxTransferBytes <= 0 {
		bad("maxTransferBytesOnMessageInMemory", "must be positive")
	}
	if c.MaxTransferCount <= 0 {
		bad("maxTransferCountOnMessageInMemory", "must be positive")
	}
	if c.MaxTransferBytesOnDisk <= 0 {
		bad("maxTransferBytesOnMessageInDisk", "must be positive")
	}
	if c.MaxTransferCountOnDisk <= 0 {
		bad("maxTransferCountOnMessageInDisk", "must be positive")
	}
	if c.AccessMessageInMemoryMaxRatio < 0 || c.AccessMessageInMemoryMaxRatio > 100 {
		bad("accessMessageInMemoryMaxRatio", "%d: want 0..100", c.AccessMessageInMemoryMaxRatio)
	}
	for _, p := range []struct {
		key string
		n   int
	}{
		{"sendMessageThreadPoolNums", c.SendWorkers},
		{"sendThreadPoolQueueCapacity", c.SendQueueCapacity},
		{"pullMessageThreadPoolNums", c.PullWorkers},
		{"pullThreadPoolQueueCapacity", c.PullQueueCapacity},
	} {
		if p.n <= 0 {
			bad(p.key, "must be positive")
		}
	}
	if c.MaxPendingSyncSends < 0 {
		bad("MaxPendingSyncSends", "must not be negative")
	}
	return errors.Join(errs...)
}

// maxQueueNums bounds read/write queue counts of a topic; upstream has no
// hard limit, but a typo such as 80000 queues would create as many consume
// queues.
const maxQueueNums = 1024

// registerPeriod is the registration period bounded as upstream does.
func (c *Config) registerPeriod() time.Duration {
	return min(max(c.RegisterNameServerPeriod, minRegisterPeriod), maxRegisterPeriod)
}

// maxFrameSize is the largest remoting frame accepted: large enough that a
// message somewhat over MaxMessageSize still arrives whole and is refused
// with MESSAGE_ILLEGAL instead of a dropped connection.
func (c *Config) maxFrameSize() int {
	return max(16<<20, 2*c.MaxMessageSize+(1<<20))
}

// isHostPort reports whether s looks like host:port with a numeric port.
func isHostPort(s string) bool {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ':' {
			if i == 0 || i == len(s)-1 {
				return false
			}
			for _, r := range s[i+1:] {
				if r < '0' || r > '9' {
					return false
				}
			}
			return true
		}
	}
	return false
}

// validateName checks a broker name with the topic-name character rules.
func validateName(name string) error {
	if name == "" {
		return errors.New("must not be empty")
	}
	for _, r := range name {
		if !isNameRune(r) {
			return fmt.Errorf("%q contains %q; allowed are letters, digits, '%%', '|', '-' and '_'", name, r)
		}
	}
	return nil
}

func isNameRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		r == '%' || r == '|' || r == '-' || r == '_'
}
