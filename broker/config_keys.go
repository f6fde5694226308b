package broker

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// configKey is one broker.conf key: how to apply a value to a Config and how
// to print the current one (GET_BROKER_CONFIG).
type configKey struct {
	set func(c *Config, v string) error
	get func(c *Config) string
}

// configKeys maps RocketMQ's broker.conf keys (and a few of Saturn's own) to
// Config fields. Keys are case-sensitive, as in RocketMQ.
var configKeys = map[string]configKey{
	"brokerClusterName": strKey(func(c *Config) *string { return &c.BrokerClusterName }),
	"brokerName":        strKey(func(c *Config) *string { return &c.BrokerName }),
	"brokerId": {
		set: func(c *Config, v string) error { return parseInt64(v, &c.BrokerID) },
		get: func(c *Config) string { return strconv.FormatInt(c.BrokerID, 10) },
	},
	"namesrvAddr": {
		set: func(c *Config, v string) error { c.NamesrvAddrs = splitAddrs(v); return nil },
		get: func(c *Config) string { return strings.Join(c.NamesrvAddrs, ";") },
	},
	"brokerIP1":        strKey(func(c *Config) *string { return &c.BrokerIP1 }),
	"listenHost":       strKey(func(c *Config) *string { return &c.ListenHost }),
	"listenPort":       intKey(func(c *Config) *int { return &c.ListenPort }),
	"storePathRootDir": strKey(func(c *Config) *string { return &c.StorePathRootDir }),
	"flushDiskType": {
		set: func(c *Config, v string) error {
			switch t := FlushDiskType(strings.ToUpper(v)); t {
			case AsyncFlush, SyncFlush:
				c.FlushDiskType = t
				return nil
			}
			return fmt.Errorf("%q: want ASYNC_FLUSH or SYNC_FLUSH", v)
		},
		get: func(c *Config) string { return string(c.FlushDiskType) },
	},
	"flushIntervalCommitLog":  msKey(func(c *Config) *time.Duration { return &c.FlushIntervalCommitLog }),
	"syncFlushTimeout":        msKey(func(c *Config) *time.Duration { return &c.SyncFlushTimeout }),
	"mappedFileSizeCommitLog": int64Key(func(c *Config) *int64 { return &c.MappedFileSizeCommitLog }),
	"maxMessageSize":          intKey(func(c *Config) *int { return &c.MaxMessageSize }),
	"fileReservedTime": {
		set: func(c *Config, v string) error {
			var h int64
			if err := parseInt64(v, &h); err != nil {
				return err
			}
			c.FileReservedTime = time.Duration(h) * time.Hour
			return nil
		},
		get: func(c *Config) string { return strconv.FormatInt(int64(c.FileReservedTime/time.Hour), 10) },
	},
	"deleteWhen":                        strKey(func(c *Config) *string { return &c.DeleteWhen }),
	"diskMaxUsedSpaceRatio":             intKey(func(c *Config) *int { return &c.DiskMaxUsedSpaceRatio }),
	"autoCreateTopicEnable":             boolKey(func(c *Config) *bool { return &c.AutoCreateTopicEnable }),
	"autoCreateSubscriptionGroup":       boolKey(func(c *Config) *bool { return &c.AutoCreateSubscriptionGroup }),
	"defaultTopicQueueNums":             intKey(func(c *Config) *int { return &c.DefaultTopicQueueNums }),
	"brokerPermission":                  intKey(func(c *Config) *int { return &c.BrokerPermission }),
	"clusterTopicEnable":                boolKey(func(c *Config) *bool { return &c.ClusterTopicEnable }),
	"brokerTopicEnable":                 boolKey(func(c *Config) *bool { return &c.BrokerTopicEnable }),
	"traceTopicEnable":                  boolKey(func(c *Config) *bool { return &c.TraceTopicEnable }),
	"msgTraceTopicName":                 strKey(func(c *Config) *string { return &c.MsgTraceTopicName }),
	"regionId":                          strKey(func(c *Config) *string { return &c.RegionID }),
	"traceOn":                           boolKey(func(c *Config) *bool { return &c.TraceOn }),
	"longPollingEnable":                 boolKey(func(c *Config) *bool { return &c.LongPollingEnable }),
	"shortPollingTimeMills":             msKey(func(c *Config) *time.Duration { return &c.ShortPollingTime }),
	"maxTransferBytesOnMessageInMemory": intKey(func(c *Config) *int { return &c.MaxTransferBytes }),
	"maxTransferCountOnMessageInMemory": intKey(func(c *Config) *int { return &c.MaxTransferCount }),
	"maxTransferBytesOnMessageInDisk":   intKey(func(c *Config) *int { return &c.MaxTransferBytesOnDisk }),
	"maxTransferCountOnMessageInDisk":   intKey(func(c *Config) *int { return &c.MaxTransferCountOnDisk }),
	"accessMessageInMemoryMaxRatio":     intKey(func(c *Config) *int { return &c.AccessMessageInMemoryMaxRatio }),
	"registerNameServerPeriod":          msKey(func(c *Config) *time.Duration { return &c.RegisterNameServerPeriod }),
	"registerBrokerTimeoutMills":        msKey(func(c *Config) *time.Duration { return &c.RegisterBrokerTimeout }),
	"flushConsumerOffsetInterval":       msKey(func(c *Config) *time.Duration { return &c.FlushConsumerOffsetInterval }),
	"channelExpiredTimeout":             msKey(func(c *Config) *time.Duration { return &c.ChannelExpiredTimeout }),
	"serverChannelMaxIdleTimeSeconds": {
		set: func(c *Config, v string) error {
			var s int64
			if err := parseInt64(v, &s); err != nil {
				return err
			}
			c.ServerChannelMaxIdleTime = time.Duration(s) * time.Second
			return nil
		},
		get: func(c *Config) string { return strconv.FormatInt(int64(c.ServerChannelMaxIdleTime/time.Second), 10) },
	},
	"sendMessageThreadPoolNums":   intKey(func(c *Config) *int { return &c.SendWorkers }),
	"sendThreadPoolQueueCapacity": intKey(func(c *Config) *int { return &c.SendQueueCapacity }),
	"pullMessageThreadPoolNums":   intKey(func(c *Config) *int { return &c.PullWorkers }),
	"pullThreadPoolQueueCapacity": intKey(func(c *Config) *int { return &c.PullQueueCapacity }),
}

// aliasKeys are alternative spellings RocketMQ accepts (4.x misspelled
// "mapped").
var aliasKeys = map[string]string{
	"mapedFileSizeCommitLog": "mappedFileSizeCommitLog",
}

// requiredValues are RocketMQ keys Saturn accepts only with a value that
// matches what it does; any other value is an error naming the reason.
var requiredValues = map[string]struct {
	want []string
	why  string
}{
	"brokerRole":               {[]string{"ASYNC_MASTER", "SYNC_MASTER"}, "Saturn runs stand-alone masters"},
	"enableDLegerCommitLog":    {[]string{"false"}, "DLedger replication is not supported"},
	"enableControllerMode":     {[]string{"false"}, "controller mode is not supported"},
	"aclEnable":                {[]string{"false"}, "ACL is not supported"},
	"enablePropertyFilter":     {[]string{"false"}, "SQL92 filtering is not supported"},
	"slaveReadEnable":          {[]string{"false"}, "there are no slaves to read from"},
	"transientStorePoolEnable": {[]string{"false"}, "the transient store pool is not supported"},
	"duplicationEnable":        {[]string{"false"}, "duplication is not supported"},
	"enableSlaveActingMaster":  {[]string{"false"}, "slave-acting-master is not supported"},
	"useTLS":                   {[]string{"false"}, "TLS is not supported"},
}

// ignoredKeys are RocketMQ keys that tune machinery Saturn does not have
// (Netty, HA, thread pools of other request kinds, mmap tricks). They are
// accepted so existing files load, and logged at start.
var ignoredKeys = []string{
	"abortFile", "adminBrokerThreadPoolNums", "brokerIP2", "brokerFastFailureEnable",
	"checkCRCOnRecover", "cleanFileForciblyEnable", "clientAsyncSemaphoreValue",
	"clientCallbackExecutorThreads", "clientChannelMaxIdleTimeSeconds", "clientManageThreadPoolNums",
	"clientOnewaySemaphoreValue", "clientWorkerThreads", "commercialBaseCount", "compressedRegister",
	"consumerManageThreadPoolNums", "deleteCommitLogFilesInterval", "deleteConsumeQueueFilesInterval",
	"destroyMapedFileIntervalForcibly", "diskFallRecorded", "endTransactionThreadPoolNums",
	"fetchNamesrvAddrByAddressServer", "filterServerNums", "flushCommitLogLeastPages",
	"flushCommitLogThoroughInterval", "flushCommitLogTimed", "flushConsumeQueueLeastPages",
	"flushConsumeQueueThoroughInterval", "flushIntervalConsumeQueue", "flushLeastPagesWhenWarmMapedFile",
	"forceRegister", "haHousekeepingInterval", "haListenPort", "haMasterAddress", "haSendHeartbeatInterval",
	"haTransferBatchSize", "heartbeatThreadPoolNums", "mapedFileSizeConsumeQueue",
	"mappedFileSizeConsumeQueue", "messageDelayLevel", "messageIndexEnable", "messageIndexSafe",
	"osPageCacheBusyTimeOutMills",
	"processReplyMessageThreadPoolNums", "queryMessageThreadPoolNums", "redeleteHangedFileInterval",
	"serverAsyncSemaphoreValue", "serverCallbackExecutorThreads", "serverOnewaySemaphoreValue",
	"serverPooledByteBufAllocatorEnable", "serverSelectorThreads", "serverSocketRcvBufSize",
	"serverSocketSndBufSize", "serverWorkerThreads", "storeCheckpoint", "storePathConsumeQueue",
	"storePathIndex", "transactionCheckInterval", "transactionCheckMax", "transactionTimeOut",
	"transferMsgByHeap", "useEpollNativeSelector", "useReentrantLockWhenPutMessage",
	"waitTimeMillsInHeartbeatQueue", "waitTimeMillsInPullQueue", "waitTimeMillsInSendQueue",
	"waitTimeMillsInTransactionQueue", "warmMapedFileEnable", "offsetCheckInSlave", "enableDetailStat",
	"isEnableBatchPush", "autoDeleteUnusedStats", "timerWheelEnable", "enableScheduleMessageStats",
	"rejectTransactionMessage",
	"notifyConsumerIdsChangedEnable", "rocketmqHome", "namesrvAddrList", "maxHashSlotNum", "maxIndexNum",
	"haMaxGapNotInSync", "accessMessageInMemoryHotRatio",
}

// Set applies one broker.conf key to c. It accepts RocketMQ's key names (and
// Saturn's listenHost), so flags, environment variables and config files can
// share one vocabulary. Keys RocketMQ knows but Saturn has no use for are
// accepted and remembered for a log line at start; unknown keys are an error.
func (c *Config) Set(key, value string) error {
	key = strings.TrimSpace(key)
	value = strings.TrimSpace(value)
	if alias, ok := aliasKeys[key]; ok {
		key = alias
	}
	if k, ok := configKeys[key]; ok {
		if err := k.set(c, value); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		return nil
	}
	if key == "storePathCommitLog" {
		// Saturn keeps the commit log under storePathRootDir/commitlog,
		// RocketMQ's default; files that spell the default out still load.
		// The check waits for the final storePathRootDir (checkCommitLogPath).
		c.commitLogPath = value
		return nil
	}
	if req, ok := requiredValues[key]; ok {
		for _, w := range req.want {
			if strings.EqualFold(value, w) {
				c.ignored = append(c.ignored, key)
				return nil
			}
		}
		return fmt.Errorf("%s=%s: %s (accepted: %s)", key, value, req.why, strings.Join(req.want, ", "))
	}
	if slices.Contains(ignoredKeys, key) {
		c.ignored = append(c.ignored, key)
		return nil
	}
	return unknownKeyError(key)
}

// checkCommitLogPath verifies a storePathCommitLog value against the final
// storePathRootDir.
func (c *Config) checkCommitLogPath() error {
	if c.commitLogPath == "" || sameDir(c.commitLogPath, filepath.Join(c.StorePathRootDir, "commitlog")) {
		return nil
	}
	return fmt.Errorf("storePathCommitLog=%s: Saturn keeps the commit log in storePathRootDir/commitlog (%s)",
		c.commitLogPath, filepath.Join(c.StorePathRootDir, "commitlog"))
}

// sameDir reports whether two paths name the same directory after cleaning.
func sameDir(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

// ConfigKeys returns every key Set applies to a Config field, sorted.
func ConfigKeys() []string {
	keys := make([]string, 0, len(configKeys))
	for k := range configKeys {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// properties renders c as broker.conf text (GET_BROKER_CONFIG).
func (c *Config) properties() string {
	var b strings.Builder
	for _, k := range ConfigKeys() {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(configKeys[k].get(c))
		b.WriteByte('\n')
	}
	return b.String()
}

func unknownKeyError(key string) error {
	for k := range configKeys {
		if strings.EqualFold(k, key) {
			return fmt.Errorf("unknown key %q (did you mean %q?)", key, k)
		}
	}
	for k := range aliasKeys {
		if strings.EqualFold(k, key) {
			return fmt.Errorf("unknown key %q (did you mean %q?)", key, aliasKeys[k])
		}
	}
	return fmt.Errorf("unknown key %q", key)
}

func strKey(field func(*Config) *string) configKey {
	return configKey{
		set: func(c *Config, v string) error { *field(c) = v; return nil },
		get: func(c *Config) string { return *field(c) },
	}
}

func intKey(field func(*Config) *int) configKey {
	return configKey{
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("%q is not an integer", v)
			}
			*field(c) = n
			return nil
		},
		get: func(c *Config) string { return strconv.Itoa(*field(c)) },
	}
}

func int64Key(field func(*Config) *int64) configKey {
	return configKey{
		set: func(c *Config, v string) error { return parseInt64(v, field(c)) },
		get: func(c *Config) string { return strconv.FormatInt(*field(c), 10) },
	}
}

func boolKey(field func(*Config) *bool) configKey {
	return configKey{
		set: func(c *Config, v string) error {
			switch strings.ToLower(v) {
			case "true":
				*field(c) = true
			case "false":
				*field(c) = false
			default:
				return fmt.Errorf("%q: want true or false", v)
			}
			return nil
		},
		get: func(c *Config) string { return strconv.FormatBool(*field(c)) },
	}
}

// msKey is a duration written in milliseconds, as RocketMQ's *Mills keys.
func msKey(field func(*Config) *time.Duration) configKey {
	return configKey{
		set: func(c *Config, v string) error {
			var ms int64
			if err := parseInt64(v, &ms); err != nil {
				return err
			}
			*field(c) = time.Duration(ms) * time.Millisecond
			return nil
		},
		get: func(c *Config) string { return strconv.FormatInt(field(c).Milliseconds(), 10) },
	}
}

func parseInt64(v string, dst *int64) error {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not an integer", v)
	}
	*dst = n
	return nil
}

// splitAddrs splits a namesrvAddr value; RocketMQ separates addresses with
// ';', and ',' is accepted too.
func splitAddrs(v string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' }) {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}
