package clients

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/saturnmq/saturn/message"
)

// Subscription expression types and the match-all expression.
const (
	ExpressionTag   = "TAG"
	ExpressionSQL92 = "SQL92"
	SubAll          = "*"
)

// tagSeparator separates tags in a TAG expression ("tagA || tagB").
const tagSeparator = "||"

// SubscriptionData is one topic subscription of a consumer group.
//
// A SubscriptionData handed out by this package is shared and must not be
// modified.
type SubscriptionData struct {
	// ClassFilterMode is the long-deprecated filter-class mode; such
	// subscriptions match every message at the broker.
	ClassFilterMode bool
	// CodeSet holds the Java hash code (String.hashCode over UTF-16 units)
	// of each tag: what the consume queue stores as tags code. It is always
	// recomputed from the tags, never taken from the client.
	CodeSet []int32
	// ExpressionType is ExpressionTag or ExpressionSQL92.
	ExpressionType string
	// SubString is the expression: "*", tags joined by "||", or SQL92 text.
	SubString string
	// SubVersion is the client's version of the subscription: epoch
	// milliseconds from Java clients, nanoseconds from Go clients.
	SubVersion int64
	// TagsSet holds the trimmed, non-empty tags of a TAG expression in the
	// order written, without duplicates.
	TagsSet []string
	Topic   string
}

// ParseSubscription builds a subscription from an expression, as the broker
// does for subscriptions carried in pull requests. An empty expressionType
// means TAG. For TAG, "*" or an empty (or blank) expression subscribes to
// everything; otherwise the expression is split on "||", each part trimmed
// and empty parts dropped, and it is an error if no tag remains. SQL92
// expressions are kept as text and must not be empty. Other types are
// rejected.
func ParseSubscription(topic, subString, expressionType string) (*SubscriptionData, error) {
	if topic == "" {
		return nil, errors.New("subscription without topic")
	}
	s := &SubscriptionData{Topic: topic, SubString: subString, ExpressionType: expressionType}
	if err := s.normalize(); err != nil {
		return nil, fmt.Errorf("subscription to %s: %w", topic, err)
	}
	return s, nil
}

// normalize sets the expression type's default and recomputes TagsSet and
// CodeSet from SubString (or, when SubString is empty, from TagsSet).
func (s *SubscriptionData) normalize() error {
	switch s.ExpressionType {
	case "", ExpressionTag:
		s.ExpressionType = ExpressionTag
	case ExpressionSQL92:
		s.TagsSet, s.CodeSet = nil, nil
		if strings.TrimSpace(s.SubString) == "" {
			return errors.New("empty SQL92 expression")
		}
		return nil
	default:
		return fmt.Errorf("unsupported expression type %q", s.ExpressionType)
	}

	expr := s.SubString
	if strings.TrimSpace(expr) == "" && len(s.TagsSet) > 0 {
		expr = strings.Join(s.TagsSet, tagSeparator)
	}
	s.TagsSet, s.CodeSet = nil, nil
	if t := strings.TrimSpace(expr); t == "" || t == SubAll {
		s.SubString = SubAll
		return nil
	}
	s.SubString = expr
	for part := range strings.SplitSeq(expr, tagSeparator) {
		tag := strings.TrimSpace(part)
		if tag == "" || containsString(s.TagsSet, tag) {
			continue
		}
		s.TagsSet = append(s.TagsSet, tag)
		s.CodeSet = append(s.CodeSet, message.JavaHashCode(tag))
	}
	if len(s.TagsSet) == 0 {
		return fmt.Errorf("tag expression %q names no tag", expr)
	}
	return nil
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// MatchAll reports whether the subscription takes every message of its topic.
func (s *SubscriptionData) MatchAll() bool {
	return s.ClassFilterMode || (isTagType(s.ExpressionType) && (s.SubString == SubAll || s.SubString == ""))
}

// MatchTagsCode reports whether a consume-queue entry with the given tags
// code (0 for a message without tag) passes the broker's tag filter: always
// for match-all and class-filter subscriptions, else when the code's low 32
// bits are in CodeSet. SQL92 subscriptions also pass here; they must be
// evaluated against the message's properties afterwards. Hash collisions
// are removed by the client, which filters on the tag strings again.
func (s *SubscriptionData) MatchTagsCode(code int64) bool {
	if s.MatchAll() || !isTagType(s.ExpressionType) {
		return true
	}
	c := int32(code)
	for _, v := range s.CodeSet {
		if v == c {
			return true
		}
	}
	return false
}

func isTagType(t string) bool { return t == "" || t == ExpressionTag }

// MarshalJSON writes upstream's SubscriptionData JSON (members sorted, empty
// sets as []), as GET_CONSUMER_CONNECTION_LIST returns it.
func (s *SubscriptionData) MarshalJSON() ([]byte, error) {
	w := struct {
		ClassFilterMode bool     `json:"classFilterMode"`
		CodeSet         []int32  `json:"codeSet"`
		ExpressionType  string   `json:"expressionType"`
		SubString       string   `json:"subString"`
		SubVersion      int64    `json:"subVersion"`
		TagsSet         []string `json:"tagsSet"`
		Topic           string   `json:"topic"`
	}{s.ClassFilterMode, s.CodeSet, s.ExpressionType, s.SubString, s.SubVersion, s.TagsSet, s.Topic}
	if w.CodeSet == nil {
		w.CodeSet = []int32{}
	}
	if w.TagsSet == nil {
		w.TagsSet = []string{}
	}
	return json.Marshal(w)
}
