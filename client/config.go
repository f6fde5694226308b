package client

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"time"

	"github.com/saturnmq/saturn/remoting"
)

// Defaults of Config.
const (
	// DefaultRequestTimeout bounds calls whose context has no deadline
	// (upstream's 3 s for most requests).
	DefaultRequestTimeout = 3 * time.Second
	// DefaultRouteRefreshInterval is upstream's pollNameServerInterval.
	DefaultRouteRefreshInterval = 30 * time.Second
	// DefaultHeartbeatInterval is upstream's heartbeatBrokerInterval.
	DefaultHeartbeatInterval = 30 * time.Second
)

// Config configures a Client. Zero values mean the documented defaults.
type Config struct {
	// NameServers lists the name servers as "host:port". Required. Requests
	// to name servers go round robin over the list; one that fails is
	// skipped for the next.
	NameServers []string

	// InstanceName is the second part of the client id (ip@instance). Two
	// Clients talking to the same brokers must have different instance
	// names, or the brokers take them for one. Default "<pid>#<start time
	// in ns>", unique per Client value.
	InstanceName string

	// ClientIP is the address in the client id and in the unique message
	// ids (UNIQ_KEY). Default: the first non-loopback IPv4 address of the
	// host, else 127.0.0.1.
	ClientIP string

	// UnitName, when set, is appended to the client id as "@unit".
	UnitName string

	// Serialize is the header serialization of requests. Default
	// remoting.SerializeJSON, which every broker and name server reads.
	// remoting.SerializeRocketMQ (the binary form) is cheaper to encode and
	// decode on both sides; Saturn and Apache RocketMQ servers decode it
	// (Java servers answer in their own configured form, which this client
	// reads whatever it is).
	Serialize remoting.SerializeType

	// RequestTimeout bounds every call whose context has no deadline.
	// Default DefaultRequestTimeout (3 s). Long-polling pulls use their own
	// timeout (PushConsumerConfig.PullTimeout).
	RequestTimeout time.Duration

	// RouteRefreshInterval is how often the routes of all topics in use are
	// fetched again. Routes are also fetched when a send fails. Default
	// DefaultRouteRefreshInterval (30 s).
	RouteRefreshInterval time.Duration

	// HeartbeatInterval is how often HEART_BEAT goes to every broker of the
	// topics in use. Heartbeats are also sent when a consumer starts or its
	// subscriptions change. Default DefaultHeartbeatInterval (30 s).
	HeartbeatInterval time.Duration

	// DialTimeout bounds connecting to a server. Default
	// remoting.DefaultDialTimeout (3 s).
	DialTimeout time.Duration

	// Logger receives the client's logs. Default slog.Default().
	Logger *slog.Logger
}

func (cfg *Config) setDefaults() error {
	if len(cfg.NameServers) == 0 {
		return fmt.Errorf("%w: no name server address", ErrInvalidConfig)
	}
	for _, a := range cfg.NameServers {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return fmt.Errorf("%w: name server address %q: %v", ErrInvalidConfig, a, err)
		}
	}
	if cfg.InstanceName == "" {
		cfg.InstanceName = strconv.Itoa(os.Getpid()) + "#" + strconv.FormatInt(time.Now().UnixNano(), 10)
	}
	if cfg.ClientIP == "" {
		cfg.ClientIP = localIPv4().String()
	} else if _, err := netip.ParseAddr(cfg.ClientIP); err != nil {
		return fmt.Errorf("%w: client IP %q: %v", ErrInvalidConfig, cfg.ClientIP, err)
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.RouteRefreshInterval <= 0 {
		cfg.RouteRefreshInterval = DefaultRouteRefreshInterval
	}
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = remoting.DefaultDialTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return nil
}

// localIPv4 returns the first non-loopback IPv4 address of the host, or
// 127.0.0.1.
func localIPv4() netip.Addr {
	addrs, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(ipn.IP)
			if !ok {
				continue
			}
			ip = ip.Unmap()
			if ip.Is4() && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() {
				return ip
			}
		}
	}
	return netip.AddrFrom4([4]byte{127, 0, 0, 1})
}
