package namesrv

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Defaults applied by New to zero fields of Config.
const (
	DefaultListenAddr   = ":9876"
	DefaultScanInterval = 5 * time.Second
	DefaultIdleTimeout  = 120 * time.Second
	// DefaultWorkers and DefaultQueue size the handler group for broker and
	// admin requests (upstream defaultThreadPoolNums and its queue capacity).
	DefaultWorkers = 16
	DefaultQueue   = 10000
	// DefaultClientWorkers and DefaultClientQueue size the separate group that
	// answers clients' route queries, so that a registration storm cannot
	// starve them (upstream clientRequestThreadPoolNums and its capacity).
	DefaultClientWorkers = 8
	DefaultClientQueue   = 50000
)

// KVConfigFileName is the name of the KV config file inside DataDir.
const KVConfigFileName = "kvConfig.json"

// Config configures a name server. The zero value is usable: every zero
// field takes the default named in its comment.
type Config struct {
	// ListenAddr is the TCP address to listen on. Default ":9876".
	// File keys: bindAddress and listenPort.
	ListenAddr string

	// BrokerExpiry is how long a broker may stay silent (no registration,
	// heartbeat or unchanged-data-version query) before it and the routes only
	// it provided are dropped. A 5.x broker's heartbeatTimeoutMillis header
	// overrides it for that broker. Default 120 s.
	// File key: brokerChannelExpiredTime (milliseconds; a Saturn key).
	BrokerExpiry time.Duration

	// ScanInterval is how often silent brokers are looked for. Default 5 s.
	// File key: scanNotActiveBrokerInterval (milliseconds).
	ScanInterval time.Duration

	// KVConfigPath is the file that keeps the KV config across restarts. If
	// empty and DataDir is set, DataDir/kvConfig.json is used; if both are
	// empty the KV config lives in memory only.
	// File key: kvConfigPath.
	KVConfigPath string

	// DataDir is the directory for the name server's files. Optional.
	// File key: dataDir (a Saturn key).
	DataDir string

	// OrderMessageEnable adds a topic's ORDER_TOPIC_CONFIG KV entry to its
	// route as orderTopicConf. Default false.
	// File key: orderMessageEnable.
	OrderMessageEnable bool

	// IdleTimeout closes connections with no traffic for this long.
	// Default 120 s. File key: serverChannelMaxIdleTimeSeconds (seconds).
	IdleTimeout time.Duration

	// MaxFrameSize bounds inbound frames; 0 means the remoting default.
	MaxFrameSize int

	// Workers and Queue size the handler group for broker and admin
	// requests; ClientWorkers and ClientQueue the group for route queries.
	// Defaults DefaultWorkers, DefaultQueue, DefaultClientWorkers,
	// DefaultClientQueue. File keys: defaultThreadPoolNums,
	// defaultThreadPoolQueueCapacity, clientRequestThreadPoolNums,
	// clientRequestThreadPoolQueueCapacity.
	Workers, Queue             int
	ClientWorkers, ClientQueue int

	// Ignored lists keys of a loaded config file that upstream defines but
	// Saturn does not use (thread counts, Netty tuning, controller switches);
	// New logs them. Not a setting.
	Ignored []string
}

// withDefaults returns c with zero fields set to their defaults, or an error
// for values that cannot work.
func (c Config) withDefaults() (Config, error) {
	if c.ListenAddr == "" {
		c.ListenAddr = DefaultListenAddr
	}
	if c.BrokerExpiry == 0 {
		c.BrokerExpiry = DefaultBrokerExpiry
	}
	if c.ScanInterval == 0 {
		c.ScanInterval = DefaultScanInterval
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.KVConfigPath == "" && c.DataDir != "" {
		c.KVConfigPath = filepath.Join(c.DataDir, KVConfigFileName)
	}
	for _, p := range []struct {
		v   *int
		def int
	}{{&c.Workers, DefaultWorkers}, {&c.Queue, DefaultQueue}, {&c.ClientWorkers, DefaultClientWorkers}, {&c.ClientQueue, DefaultClientQueue}} {
		if *p.v == 0 {
			*p.v = p.def
		}
	}
	switch {
	case c.BrokerExpiry < 0:
		return c, fmt.Errorf("namesrv config: BrokerExpiry %v is negative", c.BrokerExpiry)
	case c.ScanInterval < 0:
		return c, fmt.Errorf("namesrv config: ScanInterval %v is negative", c.ScanInterval)
	case c.IdleTimeout < 0:
		return c, fmt.Errorf("namesrv config: IdleTimeout %v is negative", c.IdleTimeout)
	case c.MaxFrameSize < 0:
		return c, fmt.Errorf("namesrv config: MaxFrameSize %d is negative", c.MaxFrameSize)
	case c.Workers < 0 || c.Queue < 0 || c.ClientWorkers < 0 || c.ClientQueue < 0:
		return c, fmt.Errorf("namesrv config: worker and queue sizes must not be negative")
	}
	return c, nil
}

// Properties renders c in the file syntax ParseConfig reads, one key=value
// per line, sorted by key. GET_NAMESRV_CONFIG answers with it.
func (c Config) Properties() string {
	host, port, err := net.SplitHostPort(c.ListenAddr)
	props := map[string]string{
		"brokerChannelExpiredTime":             strconv.FormatInt(c.BrokerExpiry.Milliseconds(), 10),
		"scanNotActiveBrokerInterval":          strconv.FormatInt(c.ScanInterval.Milliseconds(), 10),
		"serverChannelMaxIdleTimeSeconds":      strconv.FormatInt(int64(c.IdleTimeout/time.Second), 10),
		"kvConfigPath":                         escapeProperty(c.KVConfigPath),
		"dataDir":                              escapeProperty(c.DataDir),
		"orderMessageEnable":                   strconv.FormatBool(c.OrderMessageEnable),
		"defaultThreadPoolNums":                strconv.Itoa(c.Workers),
		"defaultThreadPoolQueueCapacity":       strconv.Itoa(c.Queue),
		"clientRequestThreadPoolNums":          strconv.Itoa(c.ClientWorkers),
		"clientRequestThreadPoolQueueCapacity": strconv.Itoa(c.ClientQueue),
	}
	if err == nil {
		props["bindAddress"] = host
		props["listenPort"] = port
	}
	var b strings.Builder
	for _, k := range sortedKeys(props) {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(props[k])
		b.WriteByte('\n')
	}
	return b.String()
}

// escapeProperty escapes the characters the properties syntax treats
// specially in values.
func escapeProperty(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s)
}
