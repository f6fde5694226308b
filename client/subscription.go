package client

import (
	"slices"
	"strings"
	"time"

	"github.com/saturnmq/saturn/message"
)

// Topic name prefixes of a group's retry and dead-letter topics.
const (
	retryTopicPrefix = "%RETRY%"
	dlqTopicPrefix   = "%DLQ%"
)

// RetryTopic returns the retry topic of a consumer group.
func RetryTopic(group string) string { return retryTopicPrefix + group }

// DLQTopic returns the dead-letter topic of a consumer group.
func DLQTopic(group string) string { return dlqTopicPrefix + group }

// SubscribeAll is the tag expression that matches every message.
const SubscribeAll = "*"

// subscription is a topic with a tag expression: "*" (or empty) for every
// message, or tags joined by "||" such as "TagA || TagB".
type subscription struct {
	topic   string
	expr    string
	tags    []string // empty: match all
	codes   []int32  // Java hash codes of tags
	version int64    // ms; newer subscriptions win on the broker
}

func newSubscription(topic, expr string) *subscription {
	s := &subscription{topic: topic, expr: strings.TrimSpace(expr), version: time.Now().UnixMilli()}
	if s.expr == "" || s.expr == SubscribeAll {
		s.expr = SubscribeAll
		return s
	}
	for _, t := range strings.Split(s.expr, "||") {
		t = strings.TrimSpace(t)
		if t == "" || slices.Contains(s.tags, t) {
			continue
		}
		s.tags = append(s.tags, t)
		s.codes = append(s.codes, message.JavaHashCode(t))
	}
	if len(s.tags) == 0 {
		s.expr = SubscribeAll
	}
	return s
}

// matches reports whether a message with the given TAGS passes the
// expression: brokers filter by hash code only, so clients compare the
// strings again, as upstream clients do.
func (s *subscription) matches(tag string) bool {
	return len(s.tags) == 0 || slices.Contains(s.tags, tag)
}

func (s *subscription) data() subscriptionData {
	d := subscriptionData{
		Topic:          s.topic,
		SubString:      s.expr,
		TagsSet:        s.tags,
		CodeSet:        s.codes,
		SubVersion:     s.version,
		ExpressionType: "TAG",
	}
	if d.TagsSet == nil {
		d.TagsSet = []string{}
		d.CodeSet = []int32{}
	}
	return d
}
