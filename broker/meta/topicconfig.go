package meta

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/saturnmq/saturn/fastjson"
)

// Topic filter types.
const (
	FilterSingleTag = "SINGLE_TAG"
	FilterMultiTag  = "MULTI_TAG"
)

// Defaults of a TopicConfig whose members are absent from JSON, as upstream.
const (
	DefaultQueueNums = 16
	DefaultPerm      = PermReadWrite
)

// TopicConfig is one topic of the broker's topic table.
type TopicConfig struct {
	TopicName      string
	ReadQueueNums  int32
	WriteQueueNums int32
	Perm           int32
	// TopicFilterType is FilterSingleTag or FilterMultiTag; informational.
	TopicFilterType string
	TopicSysFlag    int32
	Order           bool
	// Attributes are 5.x topic attributes. A TopicConfig obtained from a
	// table shares this map with the table: treat it as read-only.
	Attributes map[string]string
}

// NewTopicConfig returns a topic with upstream's defaults: 16 read and 16
// write queues, perm RW, SINGLE_TAG, sysFlag 0, not ordered.
func NewTopicConfig(name string) TopicConfig {
	return TopicConfig{
		TopicName:       name,
		ReadQueueNums:   DefaultQueueNums,
		WriteQueueNums:  DefaultQueueNums,
		Perm:            DefaultPerm,
		TopicFilterType: FilterSingleTag,
	}
}

// Validate checks the name, the permission and the queue counts.
func (c *TopicConfig) Validate() error {
	if err := ValidateTopicName(c.TopicName); err != nil {
		return err
	}
	if !ValidPerm(c.Perm) {
		return fmt.Errorf("topic %s: perm %d out of range [0,8)", c.TopicName, c.Perm)
	}
	if c.ReadQueueNums < 0 || c.WriteQueueNums < 0 {
		return fmt.Errorf("topic %s: negative queue count (read %d, write %d)",
			c.TopicName, c.ReadQueueNums, c.WriteQueueNums)
	}
	switch c.TopicFilterType {
	case FilterSingleTag, FilterMultiTag, "":
	default:
		return fmt.Errorf("topic %s: unknown topicFilterType %q", c.TopicName, c.TopicFilterType)
	}
	return nil
}

// clone returns c with its own Attributes map and a filled-in filter type,
// so that the table never shares a map with a caller that may still write it.
func (c TopicConfig) clone() TopicConfig {
	if c.TopicFilterType == "" {
		c.TopicFilterType = FilterSingleTag
	}
	if len(c.Attributes) == 0 {
		c.Attributes = nil
	} else {
		c.Attributes = maps.Clone(c.Attributes)
	}
	return c
}

// AppendJSON appends c as a TopicConfig JSON object with members sorted as
// fastjson writes them (5.x form: attributes included, as {} when empty).
func (c *TopicConfig) AppendJSON(b []byte) []byte {
	b = append(b, `{"attributes":{`...)
	for i, k := range slices.Sorted(maps.Keys(c.Attributes)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = fastjson.AppendString(b, k)
		b = append(b, ':')
		b = fastjson.AppendString(b, c.Attributes[k])
	}
	b = append(b, `},"order":`...)
	b = strconv.AppendBool(b, c.Order)
	b = append(b, `,"perm":`...)
	b = strconv.AppendInt(b, int64(c.Perm), 10)
	b = append(b, `,"readQueueNums":`...)
	b = strconv.AppendInt(b, int64(c.ReadQueueNums), 10)
	b = append(b, `,"topicFilterType":`...)
	ft := c.TopicFilterType
	if ft == "" {
		ft = FilterSingleTag
	}
	b = fastjson.AppendString(b, ft)
	b = append(b, `,"topicName":`...)
	b = fastjson.AppendString(b, c.TopicName)
	b = append(b, `,"topicSysFlag":`...)
	b = strconv.AppendInt(b, int64(c.TopicSysFlag), 10)
	b = append(b, `,"writeQueueNums":`...)
	b = strconv.AppendInt(b, int64(c.WriteQueueNums), 10)
	return append(b, '}')
}

// MarshalJSON implements json.Marshaler with AppendJSON.
func (c TopicConfig) MarshalJSON() ([]byte, error) { return c.AppendJSON(nil), nil }

// UnmarshalJSON implements json.Unmarshaler. Absent members take upstream's
// defaults (see NewTopicConfig); numbers may also be given as strings.
func (c *TopicConfig) UnmarshalJSON(b []byte) error {
	w := struct {
		TopicName       string                `json:"topicName"`
		ReadQueueNums   fastjson.LenientInt32 `json:"readQueueNums"`
		WriteQueueNums  fastjson.LenientInt32 `json:"writeQueueNums"`
		Perm            fastjson.LenientInt32 `json:"perm"`
		TopicFilterType string                `json:"topicFilterType"`
		TopicSysFlag    fastjson.LenientInt32 `json:"topicSysFlag"`
		Order           fastjson.LenientBool  `json:"order"`
		Attributes      map[string]string     `json:"attributes"`
	}{
		ReadQueueNums:   DefaultQueueNums,
		WriteQueueNums:  DefaultQueueNums,
		Perm:            fastjson.LenientInt32(DefaultPerm),
		TopicFilterType: FilterSingleTag,
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*c = TopicConfig{
		TopicName:       w.TopicName,
		ReadQueueNums:   int32(w.ReadQueueNums),
		WriteQueueNums:  int32(w.WriteQueueNums),
		Perm:            int32(w.Perm),
		TopicFilterType: w.TopicFilterType,
		TopicSysFlag:    int32(w.TopicSysFlag),
		Order:           bool(w.Order),
		Attributes:      w.Attributes,
	}
	return nil
}
