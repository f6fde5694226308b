package client

import (
	"fmt"
	"strings"

	"github.com/saturnmq/saturn/message"
)

// Name rules of upstream's TopicValidator, checked before sending so the
// caller gets a clear error instead of a broker's refusal.
const maxTopicLength = message.MaxTopicLengthV1

// notAllowedSendTopics are system topics brokers refuse sends to.
var notAllowedSendTopics = map[string]bool{
	"SCHEDULE_TOPIC_XXXX":         true,
	"RMQ_SYS_TRANS_HALF_TOPIC":    true,
	"RMQ_SYS_TRANS_OP_HALF_TOPIC": true,
	"TRANS_CHECK_MAX_TIME_TOPIC":  true,
	"SELF_TEST_TOPIC":             true,
	"OFFSET_MOVED_EVENT":          true,
}

// checkName reports whether name is a valid topic or group name: only
// % | - _ 0-9 A-Z a-z, not blank, at most max bytes.
func checkName(kind, name string, max int) error {
	if strings.TrimSpace(name) == "" {
		return fmt.Errorf("%s name is blank", kind)
	}
	if len(name) > max {
		return fmt.Errorf("%s name %q is longer than %d characters", kind, name, max)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '%' || c == '|' || c == '-' || c == '_' ||
			(c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') {
			continue
		}
		return fmt.Errorf("%s name %q contains the illegal character %q (allowed: %%|-_0-9A-Za-z)", kind, name, c)
	}
	return nil
}

// checkTopic validates a topic name for sending.
func checkTopic(topic string) error {
	if err := checkName("topic", topic, maxTopicLength); err != nil {
		return err
	}
	if notAllowedSendTopics[topic] {
		return fmt.Errorf("topic %s is a system topic that does not accept messages", topic)
	}
	return nil
}

// checkProperties rejects properties that cannot be encoded: the separators
// \x01 and \x02 inside keys or values would corrupt the properties string.
func checkProperties(props map[string]string) error {
	if len(props) == 0 {
		return nil // skips starting an iteration, which costs even for nil maps
	}
	for k, v := range props {
		if strings.ContainsAny(k, "\x01\x02") || strings.ContainsAny(v, "\x01\x02") {
			return fmt.Errorf("property %q contains a \\x01 or \\x02 separator", k)
		}
	}
	return nil
}
