package client

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"

	"github.com/saturnmq/saturn/message"
)

// decodePulled decodes the records of a pull response body, which lie back
// to back. It does what message.DecodeAll does with a fixed number of
// allocations per pull instead of several per message, since consumers
// decode every message they get: the Ext values share one array (sized for
// hint records), their topics and raw properties one string (a topic equal
// to topic, the pulled queue's, is shared as is). Bodies alias body, as
// with DecodeAll. With lazyProps, Properties stays nil (Ext.Property reads
// RawProperties then); otherwise every message gets its decoded map.
//
// On a malformed record it returns the messages before it and an error.
func decodePulled(body []byte, topic string, hint int, lazyProps bool) ([]*message.Ext, error) {
	if len(body) == 0 {
		return nil, nil
	}
	exts := make([]message.Ext, 0, max(hint, 1))
	// Ends of each record's topic (-1: the queue's topic) and properties
	// in sb, resolved to strings once sb is complete (it may move while it
	// grows).
	type ends struct{ topic, props int32 }
	var spanBuf [64]ends
	spans := spanBuf[:0]
	var sb strings.Builder
	sb.Grow(max(hint, 1) * 64) // a UNIQ_KEY and a few short properties
	var bad error
	var v message.View
	for off := 0; off < len(body); {
		size, err := v.Parse(body[off:])
		if err != nil {
			bad = fmt.Errorf("record at byte %d: %w", off, err)
			break
		}
		off += size
		exts = append(exts, message.Ext{
			StoreSize:                 v.Size,
			BodyCRC:                   v.BodyCRC,
			QueueID:                   v.QueueID,
			Flag:                      v.Flag,
			QueueOffset:               v.QueueOffset,
			CommitLogOffset:           v.PhysicalOffset,
			SysFlag:                   v.SysFlag,
			BornTimestamp:             v.BornTimestamp,
			BornHost:                  hostOf(v.BornHost),
			StoreTimestamp:            v.StoreTimestamp,
			StoreHost:                 hostOf(v.StoreHost),
			ReconsumeTimes:            v.ReconsumeTimes,
			PreparedTransactionOffset: v.PreparedTransactionOffset,
			Body:                      v.Body,
		})
		sp := ends{topic: -1}
		if string(v.Topic) != topic {
			sb.Write(v.Topic)
			sp.topic = int32(sb.Len())
		}
		sb.Write(v.Properties)
		sp.props = int32(sb.Len())
		spans = append(spans, sp)
	}
	if len(exts) == 0 {
		return nil, bad
	}
	strs := sb.String()
	out := make([]*message.Ext, len(exts))
	start := int32(0)
	for i := range exts {
		e := &exts[i]
		e.Topic = topic
		if end := spans[i].topic; end >= 0 {
			e.Topic = strs[start:end]
			start = end
		}
		e.RawProperties = strs[start:spans[i].props]
		start = spans[i].props
		if !lazyProps {
			e.Properties = message.DecodeProperties(e.RawProperties)
		}
		out[i] = e
	}
	return out, bad
}

// hostOf decodes a stored host: a 4- or 16-byte address and an int32 port.
func hostOf(h []byte) netip.AddrPort {
	port := uint16(binary.BigEndian.Uint32(h[len(h)-4:]))
	if len(h) == 20 {
		return netip.AddrPortFrom(netip.AddrFrom16([16]byte(h[:16])), port)
	}
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte(h[:4])), port)
}
