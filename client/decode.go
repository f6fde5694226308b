package client

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/saturnmq/saturn/message"
)

// decodePulled decodes the records of a pull response body, which lie back
// to back. It does what message.DecodeAll does with a fixed number of
// allocations per pull instead of several per message, since consumers
// decode every message they get: the Ext values share one array, their
// topics and raw properties one string (a topic equal to topic, the pulled
// queue's, is shared as is). Bodies alias body, as with DecodeAll. With
// lazyProps, Properties stays nil (Ext.Property reads RawProperties then);
// otherwise every message gets its decoded map.
//
// On a malformed record it returns the messages before it and an error.
func decodePulled(body []byte, topic string, lazyProps bool) ([]*message.Ext, error) {
	n := countRecords(body)
	if n == 0 && len(body) == 0 {
		return nil, nil
	}
	exts := make([]message.Ext, 0, max(n, 1))
	// Each record's topic (nil: the queue's topic) and properties, copied
	// into one string once their total length is known.
	type strParts struct{ topic, props []byte }
	var partBuf [64]strParts
	parts := partBuf[:0]
	strLen := 0
	var bad error
	var v message.View
	for off := 0; off < len(body); {
		size, err := v.Parse(body[off:])
		if err != nil {
			bad = fmt.Errorf("record at byte %d: %w", off, err)
			break
		}
		off += size
		exts = append(exts, v.FixedExt())
		p := strParts{props: v.Properties}
		if string(v.Topic) != topic {
			p.topic = v.Topic
		}
		strLen += len(p.topic) + len(p.props)
		parts = append(parts, p)
	}
	if len(exts) == 0 {
		return nil, bad
	}
	var sb strings.Builder
	sb.Grow(strLen)
	for _, p := range parts {
		sb.Write(p.topic)
		sb.Write(p.props)
	}
	strs := sb.String()
	out := make([]*message.Ext, len(exts))
	at := 0
	for i := range exts {
		e := &exts[i]
		e.Topic = topic
		if t := parts[i].topic; t != nil {
			e.Topic = strs[at : at+len(t)]
			at += len(t)
		}
		e.RawProperties = strs[at : at+len(parts[i].props)]
		at += len(parts[i].props)
		if !lazyProps {
			e.Properties = message.DecodeProperties(e.RawProperties)
		}
		out[i] = e
	}
	return out, bad
}

// countRecords counts the records of body by their TOTALSIZE fields alone,
// up to the first that cannot be right (decodePulled's parse reports it).
func countRecords(body []byte) int {
	n := 0
	for off := 0; len(body)-off >= 4; n++ {
		size := int(int32(binary.BigEndian.Uint32(body[off:])))
		if size < message.MinStoredSize || size > len(body)-off {
			break
		}
		off += size
	}
	return n
}
