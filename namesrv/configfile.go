package namesrv

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/saturnmq/saturn/properties"
)

// upstreamIgnoredKeys are NamesrvConfig / NettyServerConfig keys that a
// Java name server's properties file may hold but that mean nothing here
// (JVM thread tuning, Netty buffers, 5.x controller and acting-master
// features Saturn does not implement). They are accepted and listed in
// Config.Ignored so that a file written for upstream loads unchanged.
var upstreamIgnoredKeys = []string{
	"rocketmqHome", "configStorePath", "productEnvName", "clusterTest",
	"returnOrderTopicConfigToBroker", "unRegisterBrokerQueueCapacity",
	"supportActingMaster", "enableAllTopicList", "enableTopicList",
	"notifyMinBrokerIdChanged", "enableControllerInNamesrv", "needWaitForService",
	"waitSecondsForService", "deleteTopicWithBrokerRegistration", "configBlackList",
	"serverWorkerThreads", "serverCallbackExecutorThreads", "serverSelectorThreads",
	"serverOnewaySemaphoreValue", "serverAsyncSemaphoreValue", "serverSocketSndBufSize",
	"serverSocketRcvBufSize", "writeBufferHighWaterMark", "writeBufferLowWaterMark",
	"serverSocketBacklog", "serverPooledByteBufAllocatorEnable", "useEpollNativeSelector",
	"enableShutdownGracefully", "shutdownWaitTimeSeconds",
}

// LoadConfigFile reads a name-server config file; see ParseConfig.
func LoadConfigFile(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("namesrv config: %w", err)
	}
	defer f.Close()
	return ParseConfig(f, path)
}

// ParseConfig reads a config file in Java properties syntax (key=value or
// key: value, '#' and '!' comments, backslash line continuation) using the
// key names of upstream's NamesrvConfig and NettyServerConfig where they
// apply; the key of each Config field is given in its comment. Fields the
// file does not set stay zero, i.e. take their defaults in New. Unknown keys
// and invalid values are errors naming source, line and key; all of them are
// reported together.
func ParseConfig(r io.Reader, source string) (Config, error) {
	var (
		c        Config
		errs     []error
		bindAddr string
		port     = -1
	)
	fail := func(line int, key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s:%d: key %q: %s", source, line, key, fmt.Sprintf(format, args...)))
	}
	positive := func(line int, key, val string) (int64, bool) {
		v, err := strconv.ParseInt(val, 10, 64)
		if err != nil || v <= 0 {
			fail(line, key, "value %q is not a positive integer", val)
			return 0, false
		}
		return v, true
	}
	millis := func(line int, key, val string, dst *time.Duration) {
		if v, ok := positive(line, key, val); ok {
			*dst = time.Duration(v) * time.Millisecond
		}
	}
	count := func(line int, key, val string, dst *int) {
		if v, ok := positive(line, key, val); ok {
			*dst = int(v)
		}
	}

	entries, err := properties.Parse(r)
	for _, e := range entries {
		line, key, val := e.Line, e.Key, e.Value
		switch key {
		case "listenPort":
			v, err := strconv.Atoi(val)
			if err != nil || v < 0 || v > 65535 {
				fail(line, key, "value %q is not a port number (0-65535)", val)
				continue
			}
			port = v
		case "bindAddress":
			bindAddr = val
		case "kvConfigPath":
			c.KVConfigPath = val
		case "dataDir":
			c.DataDir = val
		case "orderMessageEnable":
			switch strings.ToLower(val) {
			case "true":
				c.OrderMessageEnable = true
			case "false":
				c.OrderMessageEnable = false
			default:
				fail(line, key, "value %q is not true or false", val)
			}
		case "scanNotActiveBrokerInterval":
			millis(line, key, val, &c.ScanInterval)
		case "brokerChannelExpiredTime":
			millis(line, key, val, &c.BrokerExpiry)
		case "serverChannelMaxIdleTimeSeconds":
			if v, ok := positive(line, key, val); ok {
				c.IdleTimeout = time.Duration(v) * time.Second
			}
		case "defaultThreadPoolNums":
			count(line, key, val, &c.Workers)
		case "defaultThreadPoolQueueCapacity":
			count(line, key, val, &c.Queue)
		case "clientRequestThreadPoolNums":
			count(line, key, val, &c.ClientWorkers)
		case "clientRequestThreadPoolQueueCapacity":
			count(line, key, val, &c.ClientQueue)
		default:
			if slices.Contains(upstreamIgnoredKeys, key) {
				if !slices.Contains(c.Ignored, key) {
					c.Ignored = append(c.Ignored, key)
				}
				continue
			}
			errs = append(errs, fmt.Errorf("%s:%d: unknown key %q", source, line, key))
		}
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", source, err))
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("namesrv config: %w", errors.Join(errs...))
	}
	if bindAddr != "" || port >= 0 {
		p := "9876"
		if port >= 0 {
			p = strconv.Itoa(port)
		}
		if bindAddr == "0.0.0.0" {
			bindAddr = "" // all interfaces, IPv6 included, as Netty does
		}
		c.ListenAddr = net.JoinHostPort(bindAddr, p)
	}
	return c, nil
}
