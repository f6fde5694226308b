package message

import (
	"net/netip"
	"strings"
)

// Message is what a producer sends: a topic, a user flag, a body and
// properties.
type Message struct {
	Topic      string
	Flag       int32
	Body       []byte
	Properties map[string]string
}

// Property returns the value of property key, or "".
func (m *Message) Property(key string) string { return m.Properties[key] }

// SetProperty sets property key to value, creating the map if needed. An
// empty value removes the property (it could not be encoded anyway).
func (m *Message) SetProperty(key, value string) {
	if value == "" {
		delete(m.Properties, key)
		return
	}
	if m.Properties == nil {
		m.Properties = make(map[string]string)
	}
	m.Properties[key] = value
}

// Tags returns the TAGS property.
func (m *Message) Tags() string { return m.Properties[PropertyTags] }

// Keys returns the values of the KEYS property (space separated).
func (m *Message) Keys() []string { return SplitKeys(m.Properties[PropertyKeys]) }

// SplitKeys splits a KEYS value on single spaces and drops empty parts.
func SplitKeys(keys string) []string {
	if keys == "" {
		return nil
	}
	parts := strings.Split(keys, KeySeparator)
	out := parts[:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Ext is a stored message: every field of the stored record layout.
//
// Properties are held in two forms. RawProperties is the encoded string as
// stored; Properties is the decoded map. DecodeStored fills both.
// AppendStored writes RawProperties when it is non-empty and otherwise the
// encoding of Properties, so a broker that already holds the encoded string
// never re-encodes it.
type Ext struct {
	StoreSize                 int32
	BodyCRC                   int32
	QueueID                   int32
	Flag                      int32
	QueueOffset               int64
	CommitLogOffset           int64
	SysFlag                   int32
	BornTimestamp             int64
	BornHost                  netip.AddrPort
	StoreTimestamp            int64
	StoreHost                 netip.AddrPort
	ReconsumeTimes            int32
	PreparedTransactionOffset int64
	Body                      []byte
	Topic                     string
	Properties                map[string]string
	RawProperties             string
}

// Property returns the value of property key, looking in Properties when it
// is set and in RawProperties otherwise.
func (m *Ext) Property(key string) string {
	if m.Properties != nil {
		return m.Properties[key]
	}
	v, _ := FindProperty(m.RawProperties, key)
	return v
}

// Tags returns the TAGS property.
func (m *Ext) Tags() string { return m.Property(PropertyTags) }

// Keys returns the values of the KEYS property.
func (m *Ext) Keys() []string { return SplitKeys(m.Property(PropertyKeys)) }

// OffsetMsgID returns the offset message id of m (store host and commit-log
// offset).
func (m *Ext) OffsetMsgID() string { return OffsetMsgID(m.StoreHost, m.CommitLogOffset) }

// MsgID returns the id users see: the UNIQ_KEY property when present,
// otherwise the offset message id.
func (m *Ext) MsgID() string {
	if id := m.Property(PropertyUniqClientMessageIDKeyIdx); id != "" {
		return id
	}
	return m.OffsetMsgID()
}
