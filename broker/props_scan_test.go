package broker

import (
	"math"
	"net/netip"
	"strings"
	"testing"

	"github.com/saturnmq/saturn/message"
)

// hasDelay is the per-key reading of a delay request that batchPropScan
// must agree with.
func hasDelay(props string) bool {
	if v, ok := message.FindProperty(props, message.PropertyDelayTimeLevel); ok && v != "0" {
		return true
	}
	for _, k := range []string{message.PropertyTimerDeliverMs, message.PropertyTimerDelaySec, message.PropertyTimerDelayMs} {
		if _, ok := message.FindProperty(props, k); ok {
			return true
		}
	}
	return false
}

// propsCases are properties strings for the scan tests: valid and invalid
// segments, duplicates, the keys the scan looks for.
var propsCases = []string{
	"",
	"TAGS\x01t\x02",
	"TAGS\x01t",
	"DELAY\x013\x02",
	"DELAY\x010\x02",
	"DELAY\x013\x02DELAY\x010\x02",
	"DELAY\x010\x02DELAY\x014\x02",
	"TIMER_DELAY_SEC\x015\x02",
	"TIMER_DELIVER_MS\x011\x02TAGS\x01x\x02",
	"TIMER_DELAY_MS\x01\x02",
	"TRAN_MSG\x01TRUE\x02",
	"TRAN_MSG\x01true\x02TRAN_MSG\x01false\x02",
	"TRAN_MSG\x01false\x02TRAN_MSG\x01True\x02",
	"POP_CK\x01x\x02KEYS\x01own\x02",
	"KEYS\x01own\x02MSG_REGION\x01r\x02",
	"\x01KEYS\x02KEYS\x01\x02\x02\x02CLUSTER\x01mine",
	"KEYS\x01a\x01b\x02UNIQ_KEY\x01u\x02",
	"TRACE_ON\x01false\x02TRACE_ON",
	"UNIQ_KEY\x01first\x02TAGS\x01t\x02UNIQ_KEY\x01second\x02",
	"UNIQ_KEY\x01\x02UNIQ_KEY\x01x\x01y\x02",
	"MSG_REGION\x01DefaultRegion\x02TRACE_ON\x01true\x02",
	"MSG_REGION\x01DefaultRegion\x02MSG_REGION\x01other\x02",
	"MSG_REGION\x01other\x02MSG_REGION\x01DefaultRegion\x02",
}

// TestSinglePropScanAgreesWithFindProperty checks what sendOne takes from
// the one-pass scan against per-key lookups and mergeProperties.
func TestSinglePropScanAgreesWithFindProperty(t *testing.T) {
	b := &Broker{cfg: Config{RegionID: "DefaultRegion", TraceOn: true, BrokerClusterName: "c"}}
	for _, props := range propsCases {
		pairs := b.brokerPairs("")
		var sc propScan
		scanProps(&sc, props, pairs[:])
		if want := isTransactional(0, props); sc.transactional != want {
			t.Errorf("%q: transactional %v, want %v", props, sc.transactional, want)
		}
		want, hasWant := message.FindProperty(props, message.PropertyUniqClientMessageIDKeyIdx)
		uniq := "generated"
		if sc.hasUniq {
			uniq = props[sc.uniqFrom:sc.uniqTo]
			sc.differs &^= 1 << uniqPair
		}
		if sc.hasUniq != hasWant || (hasWant && uniq != want) {
			t.Errorf("%q: uniq %q (%v), want %q (%v)", props, uniq, sc.hasUniq, want, hasWant)
		}
		pairs[uniqPair][1] = uniq
		ref := b.brokerPairs(uniq)
		if got, want := mergeScanned(&sc, props, pairs[:], true), mergeProperties(props, ref[:], true); got != want {
			t.Errorf("%q: merged %q, want %q", props, got, want)
		}
	}
}

// TestBatchPropScanAgreesWithFindProperty checks the one-pass scan of a
// batch message's properties against per-key FindProperty lookups and its
// merge against mergeProperties.
func TestBatchPropScanAgreesWithFindProperty(t *testing.T) {
	pairs := [][2]string{{"KEYS", "batch-keys"}, {message.PropertyMsgRegion, "DefaultRegion"}, {message.PropertyTraceSwitch, "true"}, {message.PropertyCluster, "c"}}
	var sc propScan
	for _, props := range propsCases {
		scanProps(&sc, []byte(props), pairs)
		if want := hasDelay(props); sc.delay != want {
			t.Errorf("%q: delay %v, want %v", props, sc.delay, want)
		}
		if want := isTransactional(0, props); sc.transactional != want {
			t.Errorf("%q: transactional %v, want %v", props, sc.transactional, want)
		}
		if got, want := mergeScanned(&sc, []byte(props), pairs, false), mergeProperties(props, pairs, false); got != want {
			t.Errorf("%q: merged %q, want %q", props, got, want)
		}
	}
}

// TestBatchMsgIDs checks the batch id list against OffsetMsgID per record.
func TestBatchMsgIDs(t *testing.T) {
	offsets := []int64{0, 1, 0xABCDEF, 1<<40 + 7, math.MaxInt64}
	for _, host := range []netip.AddrPort{
		netip.MustParseAddrPort("10.0.0.1:10911"),
		netip.MustParseAddrPort("[2001:db8::1]:10911"),
		{},
	} {
		for n := range len(offsets) + 1 {
			var want []string
			for _, off := range offsets[:n] {
				want = append(want, message.OffsetMsgID(host, off))
			}
			if got := batchMsgIDs(host, offsets[:n]); got != strings.Join(want, ",") {
				t.Errorf("%v %v: %q, want %q", host, offsets[:n], got, strings.Join(want, ","))
			}
		}
	}
}
