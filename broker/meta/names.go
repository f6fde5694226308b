package meta

import (
	"errors"
	"fmt"
	"strings"
)

// Name limits. Topic names are stored with a one-byte length in the commit
// log, hence 127; released clients accept group names up to 255 characters.
const (
	MaxTopicNameLength = 127
	MaxGroupNameLength = 255
)

// Well-known topics.
const (
	// AutoCreateTopicKey is the template topic for automatic topic creation.
	AutoCreateTopicKey    = "TBW102"
	SelfTestTopic         = "SELF_TEST_TOPIC"
	BenchmarkTopic        = "BenchmarkTest"
	OffsetMovedEventTopic = "OFFSET_MOVED_EVENT"
	// ScheduleTopic holds delayed messages, one queue per delay level.
	ScheduleTopic          = "SCHEDULE_TOPIC_XXXX"
	TransHalfTopic         = "RMQ_SYS_TRANS_HALF_TOPIC"
	TransOpHalfTopic       = "RMQ_SYS_TRANS_OP_HALF_TOPIC"
	TransCheckMaxTimeTopic = "TRANS_CHECK_MAX_TIME_TOPIC"
	// DefaultTraceTopic is the default message-trace topic name.
	DefaultTraceTopic = "RMQ_SYS_TRACE_TOPIC"
	TimerWheelTopic   = "rmq_sys_wheel_timer"

	// SystemTopicPrefix starts the name of every 5.x system topic.
	SystemTopicPrefix = "rmq_sys_"
	// RetryTopicPrefix starts retry topics: "%RETRY%<group>".
	RetryTopicPrefix = "%RETRY%"
	// DLQTopicPrefix starts dead-letter topics: "%DLQ%<group>".
	DLQTopicPrefix = "%DLQ%"
	// ReplyTopicSuffix ends the request/reply topic "<cluster>_REPLY_TOPIC".
	ReplyTopicSuffix = "_REPLY_TOPIC"
)

// Well-known groups.
const (
	DefaultProducerGroup      = "DEFAULT_PRODUCER"
	DefaultConsumerGroup      = "DEFAULT_CONSUMER"
	ToolsConsumerGroup        = "TOOLS_CONSUMER"
	FilterServerConsumerGroup = "FILTERSRV_CONSUMER"
	SelfTestConsumerGroup     = "SELF_TEST_C_GROUP"
	OnsHTTPProxyGroup         = "CID_ONS-HTTP-PROXY"
	OnsAPIPullGroup           = "CID_ONSAPI_PULL"
	OnsAPIPermissionGroup     = "CID_ONSAPI_PERMISSION"
	OnsAPIOwnerGroup          = "CID_ONSAPI_OWNER"
	// ClientInnerProducerGroup is the Java client's internal producer that
	// re-sends messages whose CONSUMER_SEND_MSG_BACK failed.
	ClientInnerProducerGroup = "CLIENT_INNER_PRODUCER"
	// TransCheckGroup is the group of the transaction checker.
	TransCheckGroup = "CID_RMQ_SYS_TRANS"
	// SystemGroupPrefix starts the name of every system consumer group.
	SystemGroupPrefix = "CID_RMQ_SYS_"
)

// Errors returned by name validation; match them with errors.Is.
var (
	ErrNameBlank   = errors.New("name is blank")
	ErrNameTooLong = errors.New("name is too long")
	ErrNameIllegal = errors.New("name contains illegal characters")
)

// legalNameChar reports whether c may appear in a topic or group name:
// '%', '|', '-', '_', digits and ASCII letters. Everything legal is ASCII, so
// byte length equals character length for valid names.
func legalNameChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	case c == '%', c == '|', c == '-', c == '_':
		return true
	}
	return false
}

func validateName(kind, name string, maxLen int) error {
	if strings.TrimSpace(name) == "" {
		return fmt.Errorf("%s name %q: %w", kind, name, ErrNameBlank)
	}
	for i := 0; i < len(name); i++ {
		if !legalNameChar(name[i]) {
			return fmt.Errorf("%s name %q: %w: %q at byte %d; allowed are letters, digits and %%|-_",
				kind, name, ErrNameIllegal, name[i], i)
		}
	}
	if len(name) > maxLen {
		return fmt.Errorf("%s name of %d characters: %w (limit %d)", kind, len(name), ErrNameTooLong, maxLen)
	}
	return nil
}

// ValidateTopicName checks a topic name against RocketMQ's rules: not blank,
// only letters, digits and %|-_, at most MaxTopicNameLength characters.
func ValidateTopicName(name string) error {
	return validateName("topic", name, MaxTopicNameLength)
}

// ValidateGroupName checks a producer or consumer group name: the same
// character set as topics, at most MaxGroupNameLength characters.
func ValidateGroupName(name string) error {
	return validateName("group", name, MaxGroupNameLength)
}

// IsSystemTopic reports whether topic is one of the fixed system topics or
// carries the "rmq_sys_" prefix. A broker's own cluster-, broker- and
// reply-topic names are system topics as well; TopicTable.IsSystemTopic
// knows those.
func IsSystemTopic(topic string) bool {
	switch topic {
	case AutoCreateTopicKey, SelfTestTopic, BenchmarkTopic, OffsetMovedEventTopic,
		ScheduleTopic, TransHalfTopic, TransOpHalfTopic, TransCheckMaxTimeTopic,
		DefaultTraceTopic:
		return true
	}
	return strings.HasPrefix(topic, SystemTopicPrefix)
}

// NotAllowedToSend reports whether clients are forbidden to send to topic
// (the broker writes these topics itself).
func NotAllowedToSend(topic string) bool {
	switch topic {
	case ScheduleTopic, TransHalfTopic, TransOpHalfTopic, TransCheckMaxTimeTopic,
		SelfTestTopic, OffsetMovedEventTopic:
		return true
	}
	return false
}

// IsSystemGroup reports whether group is a broker-internal consumer group.
func IsSystemGroup(group string) bool {
	switch group {
	case ToolsConsumerGroup, FilterServerConsumerGroup, SelfTestConsumerGroup,
		OnsHTTPProxyGroup, OnsAPIPullGroup, OnsAPIPermissionGroup, OnsAPIOwnerGroup:
		return true
	}
	return strings.HasPrefix(group, SystemGroupPrefix)
}

// RetryTopic returns the retry topic of a consumer group.
func RetryTopic(group string) string { return RetryTopicPrefix + group }

// DLQTopic returns the dead-letter topic of a consumer group.
func DLQTopic(group string) string { return DLQTopicPrefix + group }

// IsRetryTopic reports whether topic is a retry topic (including 5.x pop
// retry topics, which share the prefix).
func IsRetryTopic(topic string) bool { return strings.HasPrefix(topic, RetryTopicPrefix) }

// IsDLQTopic reports whether topic is a dead-letter topic.
func IsDLQTopic(topic string) bool { return strings.HasPrefix(topic, DLQTopicPrefix) }

// GroupOfRetryTopic returns the group a "%RETRY%<group>" topic belongs to.
func GroupOfRetryTopic(topic string) (string, bool) {
	g, ok := strings.CutPrefix(topic, RetryTopicPrefix)
	return g, ok && g != ""
}

// GroupOfDLQTopic returns the group a "%DLQ%<group>" topic belongs to.
func GroupOfDLQTopic(topic string) (string, bool) {
	g, ok := strings.CutPrefix(topic, DLQTopicPrefix)
	return g, ok && g != ""
}

// ReplyTopic returns the request/reply topic of a cluster.
func ReplyTopic(cluster string) string { return cluster + ReplyTopicSuffix }

// ReviveTopic returns the 5.x pop revive-log topic of a cluster.
func ReviveTopic(cluster string) string { return SystemTopicPrefix + "REVIVE_LOG_" + cluster }

// SyncBrokerMemberTopic returns the 5.x broker-membership topic of a broker.
func SyncBrokerMemberTopic(brokerName string) string {
	return SystemTopicPrefix + "SYNC_BROKER_MEMBER_" + brokerName
}
