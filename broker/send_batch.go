package broker

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/saturnmq/saturn/broker/meta"
	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/remoting"
)

// sendBatch stores the messages of a SEND_BATCH_MESSAGE body in one queue
// with consecutive offsets. The response carries the first queue offset and
// the comma-joined offset message ids.
func (b *Broker) sendBatch(ctx context.Context, conn *remoting.Conn, req *remoting.Command, h *sendHeader) *remoting.Command {
	tc, queueID, fail := b.checkSend(h)
	if fail != nil {
		return b.sendResponse(req, fail.code, fail.remark)
	}
	if meta.IsRetryTopic(h.topic) {
		return b.sendResponse(req, remoting.ResponseMessageIllegal,
			fmt.Sprintf("batch request does not support retry group %s", h.topic))
	}
	if len(req.Body) > b.cfg.MaxMessageSize {
		return b.sendResponse(req, remoting.ResponseMessageIllegal,
			fmt.Sprintf("the batch body size %d is over the max value %d", len(req.Body), b.cfg.MaxMessageSize))
	}
	if isTransactional(h.sysFlag, h.properties) {
		return b.sendResponse(req, remoting.ResponseMessageIllegal, "batch message does not support transaction")
	}
	// Decoded on the stack: batches of up to len(stack) messages (clients
	// send 32 to 64) need no allocation for their items.
	var stack [64]message.BatchItem
	items, err := message.AppendBatchItems(stack[:0], req.Body)
	if err != nil {
		return b.sendResponse(req, remoting.ResponseMessageIllegal, fmt.Sprintf("malformed batch body: %v", err))
	}
	sysFlag := h.sysFlag
	if tc.TopicFilterType == meta.FilterMultiTag {
		sysFlag |= message.SysFlagMultiTags
	}
	// Batch-level properties (the header's plus the broker's) are added to
	// each message that does not set the key itself; a message's own
	// UNIQ_KEY is never overridden (upstream issue #9416).
	batchProps := batchPairs(h.properties, [][2]string{
		{message.PropertyMsgRegion, b.cfg.RegionID},
		{message.PropertyTraceSwitch, strconv.FormatBool(b.cfg.TraceOn)},
		{message.PropertyCluster, b.cfg.BrokerClusterName},
	})
	// The merged properties of all messages go into one string, each
	// message's a substring of it: one allocation per batch instead of one
	// per message. The store copies them, so nothing keeps the string
	// beyond the request. Its size is bounded up front so it never grows.
	pairsLen := 0
	for _, kv := range batchProps {
		pairsLen += len(kv[0]) + len(kv[1]) + 2
	}
	bound := 0
	for _, it := range items {
		bound += len(it.Properties) + 1 + pairsLen
	}
	var all strings.Builder
	all.Grow(bound)
	ends := make([]int, len(items))
	bornHost := conn.RemoteAddrPort()
	var sc propScan
	for i, it := range items {
		scanProps(&sc, it.Properties, batchProps)
		if sc.delay {
			return b.sendResponse(req, remoting.ResponseMessageIllegal, "batch message does not support delay level")
		}
		if sc.transactional {
			return b.sendResponse(req, remoting.ResponseMessageIllegal, "batch message does not support transaction")
		}
		start := all.Len()
		if slowMerge(&sc, batchProps, false) {
			// Rare (a POP_CK to drop): may exceed the bound, which
			// only costs the builder a reallocation.
			all.WriteString(mergeProperties(string(it.Properties), batchProps, false))
		} else {
			writeMerged(&all, &sc, it.Properties, batchProps)
		}
		if n := all.Len() - start; n > message.MaxPropertiesLength {
			return b.sendResponse(req, remoting.ResponseMessageIllegal,
				fmt.Sprintf("the properties length %d of message %d is over the max value %d", n, i, message.MaxPropertiesLength))
		}
		ends[i] = all.Len()
	}
	props := all.String()
	msgs := make([]*message.Ext, len(items))
	exts := make([]message.Ext, len(items)) // one allocation for all
	start := 0
	for i, it := range items {
		msgs[i] = &exts[i]
		exts[i] = message.Ext{
			Topic:          h.topic,
			QueueID:        queueID,
			Flag:           it.Flag,
			SysFlag:        sysFlag,
			BornTimestamp:  h.bornTimestamp,
			BornHost:       bornHost,
			StoreHost:      b.storeHost,
			ReconsumeTimes: h.reconsumeTimes,
			Body:           it.Body,
			RawProperties:  props[start:ends[i]],
		}
		start = ends[i]
	}
	uniq, _ := message.FindProperty(h.properties, message.PropertyUniqClientMessageIDKeyIdx)
	return b.storeSend(ctx, conn, req, msgs, sendFill{queueID: queueID, uniq: uniq, batch: true})
}

// batchMsgIDs returns the offset message ids of a batch's records, comma
// separated. They differ only in their last 16 hex digits (the offset), so
// the host part is made once.
func batchMsgIDs(storeHost netip.AddrPort, offsets []int64) string {
	if len(offsets) == 0 {
		return ""
	}
	first := message.OffsetMsgID(storeHost, 0)
	host := first[:len(first)-16]
	const hex = "0123456789ABCDEF"
	buf := make([]byte, 0, len(offsets)*(len(first)+1))
	for i, off := range offsets {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, host...)
		for shift := 60; shift >= 0; shift -= 4 {
			buf = append(buf, hex[uint64(off)>>shift&0xF])
		}
	}
	return string(buf)
}

// batchPairs returns the batch header's properties followed by the broker's
// pairs (which win over the header's).
func batchPairs(headerProps string, broker [][2]string) [][2]string {
	var pairs [][2]string
	if headerProps != "" {
		for k, v := range message.DecodeProperties(headerProps) {
			override := false
			for _, kv := range broker {
				override = override || kv[0] == k
			}
			if !override {
				pairs = append(pairs, [2]string{k, v})
			}
		}
	}
	return append(pairs, broker...)
}
