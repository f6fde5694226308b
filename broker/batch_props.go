package broker

import (
	"bytes"
	"strings"

	"github.com/saturnmq/saturn/message"
)

// batchPropScan is what sendBatch needs to know of one message's own
// properties, found in a single pass over them instead of one
// FindProperty scan per key (about ten per message otherwise): whether the
// message asks for delay or a transaction, whether it carries POP_CK, and
// which of the batch-level keys it sets itself. Every answer is the one
// FindProperty (the last valid occurrence of a key) would give.
type batchPropScan struct {
	delay, transactional, popCK bool
	present                     []bool // per batch pair: the message sets the key
}

// scan fills s for props; pairs are the batch-level pairs.
func (s *batchPropScan) scan(props []byte, pairs [][2]string) {
	s.present = s.present[:0]
	for range pairs {
		s.present = append(s.present, false)
	}
	var delayLevel, tran []byte
	delaySet, tranSet, timer := false, false, false
	s.popCK = false
	for len(props) > 0 {
		seg := props
		if i := bytes.IndexByte(props, message.PropertySeparator); i >= 0 {
			seg, props = props[:i], props[i+1:]
		} else {
			props = nil
		}
		// A segment counts only with \x01 after its first and before its
		// last byte (message.DecodeProperties' rule).
		i := bytes.IndexByte(seg, message.NameValueSeparator)
		if i <= 0 || i == len(seg)-1 {
			continue
		}
		k, v := seg[:i], seg[i+1:]
		switch string(k) {
		case message.PropertyDelayTimeLevel:
			delayLevel, delaySet = v, true
		case message.PropertyTimerDeliverMs, message.PropertyTimerDelaySec, message.PropertyTimerDelayMs:
			timer = true
		case message.PropertyTransactionPrepared:
			tran, tranSet = v, true
		case message.PropertyPopCK:
			s.popCK = true
		}
		for j, kv := range pairs {
			if len(kv[0]) == len(k) && kv[0] == string(k) {
				s.present[j] = true
			}
		}
	}
	s.delay = timer || (delaySet && string(delayLevel) != "0")
	s.transactional = tranSet && strings.EqualFold(string(tran), "true")
}

// merged returns the message's properties with the batch pairs it does not
// set itself appended: mergeProperties(string(props), pairs, false) for a
// message scanned by s, in one allocation when no POP_CK is to be removed.
func (s *batchPropScan) merged(props []byte, pairs [][2]string) string {
	if s.popCK {
		return mergeProperties(string(props), pairs, false)
	}
	n := len(props) + 1
	for j, kv := range pairs {
		if !s.present[j] {
			n += len(kv[0]) + len(kv[1]) + 2
		}
	}
	var sb strings.Builder
	sb.Grow(n)
	sb.Write(props)
	if len(props) > 0 && props[len(props)-1] != message.PropertySeparator {
		sb.WriteByte(message.PropertySeparator)
	}
	for j, kv := range pairs {
		if s.present[j] || kv[0] == "" || kv[1] == "" {
			continue
		}
		sb.WriteString(kv[0])
		sb.WriteByte(message.NameValueSeparator)
		sb.WriteString(kv[1])
		sb.WriteByte(message.PropertySeparator)
	}
	return sb.String()
}
