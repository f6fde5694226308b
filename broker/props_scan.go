package broker

import (
	"strings"

	"github.com/saturnmq/saturn/message"
)

// propScan is what a send needs to know of a message's own properties,
// found in a single pass over them instead of one FindProperty scan per key
// (up to ten per message otherwise): whether the message asks for delay or
// a transaction, whether it carries POP_CK, where its UNIQ_KEY is, and
// which of the broker's (or batch's) pairs it sets itself, and whether to
// another value. Every answer is the one FindProperty (the last valid
// occurrence of a key) would give.
type propScan struct {
	delay, transactional, popCK bool
	// uniq is the UNIQ_KEY value as props[uniqFrom:uniqTo], if hasUniq.
	hasUniq          bool
	uniqFrom, uniqTo int
	// Bit j of present: the message sets the key of pair j; of differs:
	// to another value (by its last occurrence). Only the first maxPairs
	// pairs are tracked; with more, merging takes the slow path.
	present, differs uint64
}

// maxPairs is how many pairs propScan tracks.
const maxPairs = 64

// scanProps fills s for props; pairs are the pairs to be merged in.
func scanProps[T string | []byte](s *propScan, props T, pairs [][2]string) {
	s.present, s.differs = 0, 0
	var delayLevel, tran T
	delaySet, tranSet, timer := false, false, false
	s.popCK, s.hasUniq = false, false
	for pos := 0; pos < len(props); {
		end := pos
		for end < len(props) && props[end] != message.PropertySeparator {
			end++
		}
		seg, segStart := props[pos:end], pos
		pos = end + 1
		// A segment counts only with \x01 after its first and before its
		// last byte (message.DecodeProperties' rule).
		i := 0
		for i < len(seg) && seg[i] != message.NameValueSeparator {
			i++
		}
		if i == 0 || i >= len(seg)-1 {
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
		case message.PropertyUniqClientMessageIDKeyIdx:
			s.hasUniq, s.uniqFrom, s.uniqTo = true, segStart+i+1, segStart+len(seg)
		}
		for j, kv := range pairs[:min(len(pairs), maxPairs)] {
			if len(kv[0]) == len(k) && kv[0] == string(k) {
				bit := uint64(1) << j
				s.present |= bit
				if kv[1] != string(v) {
					s.differs |= bit
				} else {
					s.differs &^= bit
				}
			}
		}
	}
	s.delay = timer || (delaySet && string(delayLevel) != "0")
	s.transactional = tranSet && strings.EqualFold(string(tran), "true")
}

// mergeScanned returns props with pairs added, as mergeProperties(props,
// pairs, override) does, for props scanned by s with the same pairs: in one
// allocation, without decoding, unless a POP_CK is to be removed or, with
// override, a key of the message is to get another value.
func mergeScanned[T string | []byte](s *propScan, props T, pairs [][2]string, override bool) string {
	if slowMerge(s, pairs, override) {
		return mergeProperties(string(props), pairs, override)
	}
	var sb strings.Builder
	sb.Grow(mergedLen(s, props, pairs))
	writeMerged(&sb, s, props, pairs)
	return sb.String()
}

// slowMerge reports whether merging needs mergeProperties (decoding).
func slowMerge(s *propScan, pairs [][2]string, override bool) bool {
	return s.popCK || len(pairs) > maxPairs || (override && s.differs != 0)
}

// mergedLen bounds the length of the merge of props (scanned by s) and
// pairs when !slowMerge.
func mergedLen[T string | []byte](s *propScan, props T, pairs [][2]string) int {
	n := len(props) + 1
	for j, kv := range pairs {
		if s.present&(1<<j) == 0 {
			n += len(kv[0]) + len(kv[1]) + 2
		}
	}
	return n
}

// writeMerged writes the merge of props (scanned by s) and pairs to sb;
// only when !slowMerge.
func writeMerged[T string | []byte](sb *strings.Builder, s *propScan, props T, pairs [][2]string) {
	switch p := any(props).(type) { // the one copy: no conversion
	case string:
		sb.WriteString(p)
	case []byte:
		sb.Write(p)
	}
	if len(props) > 0 && props[len(props)-1] != message.PropertySeparator {
		sb.WriteByte(message.PropertySeparator)
	}
	for j, kv := range pairs {
		if s.present&(1<<j) != 0 || kv[0] == "" || kv[1] == "" {
			continue
		}
		sb.WriteString(kv[0])
		sb.WriteByte(message.NameValueSeparator)
		sb.WriteString(kv[1])
		sb.WriteByte(message.PropertySeparator)
	}
}
