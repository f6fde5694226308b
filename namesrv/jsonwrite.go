package namesrv

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"unicode/utf8"
)

// jsonForm selects between the two shapes a Java name server produces.
type jsonForm int

const (
	// legacyJSON is plain fastjson output: numeric map keys are written
	// unquoted ({0:"addr"}) and non-ASCII text is written as UTF-8. Old Java
	// clients and rocketmq-client-go (which sends version 317) get this form.
	legacyJSON jsonForm = iota
	// standardJSON is fastjson with BrowserCompatible and QuoteFieldNames:
	// strictly valid JSON with numeric keys quoted and non-ASCII text escaped
	// as \uXXXX.
	standardJSON
)

// jsonWriter appends compact JSON to a byte slice. Callers emit object
// members in sorted order themselves (fastjson sorts bean properties; the
// standard form also sorts map keys); the writer only handles separators and
// escaping.
//
// Compactness matters: rocketmq-client-go splits brokerAddrs by hand on ','
// and ':', so no whitespace may appear anywhere.
type jsonWriter struct {
	buf  []byte
	form jsonForm
	// first[i] is true while the i-th open container has no element yet.
	first    []bool
	afterKey bool
}

func (w *jsonWriter) sep() {
	if w.afterKey {
		w.afterKey = false
		return
	}
	if n := len(w.first); n > 0 {
		if !w.first[n-1] {
			w.buf = append(w.buf, ',')
		}
		w.first[n-1] = false
	}
}

func (w *jsonWriter) open(c byte) {
	w.sep()
	w.buf = append(w.buf, c)
	w.first = append(w.first, true)
}

func (w *jsonWriter) close(c byte) {
	w.first = w.first[:len(w.first)-1]
	w.buf = append(w.buf, c)
}

func (w *jsonWriter) beginObject() { w.open('{') }
func (w *jsonWriter) endObject()   { w.close('}') }
func (w *jsonWriter) beginArray()  { w.open('[') }
func (w *jsonWriter) endArray()    { w.close(']') }

// key writes an object member name.
func (w *jsonWriter) key(k string) {
	w.sep()
	w.buf = w.appendQuoted(w.buf, k)
	w.buf = append(w.buf, ':')
	w.afterKey = true
}

// intKey writes the key of a map with integer keys: unquoted in the legacy
// form, as fastjson does for a HashMap<Long, ...>.
func (w *jsonWriter) intKey(k int64) {
	w.sep()
	if w.form == standardJSON {
		w.buf = append(w.buf, '"')
		w.buf = strconv.AppendInt(w.buf, k, 10)
		w.buf = append(w.buf, '"')
	} else {
		w.buf = strconv.AppendInt(w.buf, k, 10)
	}
	w.buf = append(w.buf, ':')
	w.afterKey = true
}

func (w *jsonWriter) str(s string) {
	w.sep()
	w.buf = w.appendQuoted(w.buf, s)
}

func (w *jsonWriter) int(v int64) {
	w.sep()
	w.buf = strconv.AppendInt(w.buf, v, 10)
}

func (w *jsonWriter) bool(v bool) {
	w.sep()
	w.buf = strconv.AppendBool(w.buf, v)
}

func (w *jsonWriter) strArray(vs []string) {
	w.beginArray()
	for _, v := range vs {
		w.str(v)
	}
	w.endArray()
}

const hexDigits = "0123456789abcdef"

func appendU(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// appendQuoted appends s as a JSON string. Invalid UTF-8 becomes U+FFFD so
// that the output is always valid for strict parsers.
func (w *jsonWriter) appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"':
			b = append(b, '\\', '"')
		case r == '\\':
			b = append(b, '\\', '\\')
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r == '\t':
			b = append(b, '\\', 't')
		case r < 0x20 || r == 0x7f:
			b = appendU(b, r)
		case r < utf8.RuneSelf:
			b = append(b, byte(r))
		case w.form == standardJSON:
			if r > 0xffff {
				r -= 0x10000
				b = appendU(b, 0xd800+(r>>10))
				b = appendU(b, 0xdc00+(r&0x3ff))
			} else {
				b = appendU(b, r)
			}
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}

// addrMap writes broker addresses by broker id, ids sorted.
func (w *jsonWriter) addrMap(addrs map[int64]string) {
	w.beginObject()
	for _, id := range sortedKeys(addrs) {
		w.intKey(id)
		w.str(addrs[id])
	}
	w.endObject()
}

// strArrayMap writes a map of string lists, keys sorted.
func (w *jsonWriter) strArrayMap(m map[string][]string) {
	w.beginObject()
	for _, k := range sortedKeys(m) {
		w.key(k)
		w.strArray(m[k])
	}
	w.endObject()
}

// brokerData writes a BrokerData bean. brokerAddrs is always written, as an
// object, even when empty: rocketmq-client-go crashes on a missing one.
func (w *jsonWriter) brokerData(b BrokerData) {
	w.beginObject()
	w.key("brokerAddrs")
	w.addrMap(b.Addrs)
	w.key("brokerName")
	w.str(b.BrokerName)
	w.key("cluster")
	w.str(b.Cluster)
	w.key("enableActingMaster")
	w.bool(b.EnableActingMaster)
	if b.ZoneName != "" {
		w.key("zoneName")
		w.str(b.ZoneName)
	}
	w.endObject()
}

func (w *jsonWriter) queueData(q QueueData) {
	w.beginObject()
	w.key("brokerName")
	w.str(q.BrokerName)
	w.key("perm")
	w.int(int64(q.Perm))
	w.key("readQueueNums")
	w.int(int64(q.ReadQueueNums))
	w.key("topicSysFlag")
	w.int(int64(q.TopicSysFlag))
	w.key("writeQueueNums")
	w.int(int64(q.WriteQueueNums))
	w.endObject()
}

func (w *jsonWriter) dataVersion(v DataVersion) {
	w.beginObject()
	w.key("counter")
	w.int(v.Counter)
	w.key("stateVersion")
	w.int(v.StateVersion)
	w.key("timestamp")
	w.int(v.Timestamp)
	w.endObject()
}

// encodeRouteData writes a TopicRouteData as the Java name server does.
func encodeRouteData(r *TopicRouteData, form jsonForm) []byte {
	w := &jsonWriter{form: form}
	w.beginObject()
	w.key("brokerDatas")
	w.beginArray()
	for _, b := range r.BrokerDatas {
		w.brokerData(b)
	}
	w.endArray()
	w.key("filterServerTable")
	w.strArrayMap(r.FilterServerTable)
	if r.OrderTopicConf != "" {
		w.key("orderTopicConf")
		w.str(r.OrderTopicConf)
	}
	w.key("queueDatas")
	w.beginArray()
	for _, q := range r.QueueDatas {
		w.queueData(q)
	}
	w.endArray()
	w.endObject()
	return w.buf
}

// encodeClusterInfo writes a ClusterInfo body.
func encodeClusterInfo(ci *ClusterInfo, form jsonForm) []byte {
	w := &jsonWriter{form: form}
	w.beginObject()
	w.key("brokerAddrTable")
	w.beginObject()
	for _, name := range sortedKeys(ci.Brokers) {
		w.key(name)
		w.brokerData(ci.Brokers[name])
	}
	w.endObject()
	w.key("clusterAddrTable")
	w.strArrayMap(ci.Clusters)
	w.endObject()
	return w.buf
}

// encodeTopicList writes a TopicList body; brokerAddr is omitted when empty
// (null on the Java side). The output is strictly valid JSON: the Go admin
// client decodes it with encoding/json.
func encodeTopicList(topics []string, brokerAddr string) []byte {
	w := &jsonWriter{form: standardJSON}
	w.beginObject()
	if brokerAddr != "" {
		w.key("brokerAddr")
		w.str(brokerAddr)
	}
	w.key("topicList")
	w.strArray(topics)
	w.endObject()
	return w.buf
}

// encodeKVTable writes a KVTable body {"table":{...}}.
func encodeKVTable(table map[string]string) []byte {
	w := &jsonWriter{form: standardJSON}
	w.beginObject()
	w.key("table")
	w.beginObject()
	for _, k := range sortedKeys(table) {
		w.key(k)
		w.str(table[k])
	}
	w.endObject()
	w.endObject()
	return w.buf
}

// encodeDataVersion writes a DataVersion body.
func encodeDataVersion(v DataVersion) []byte {
	w := &jsonWriter{form: standardJSON}
	w.dataVersion(v)
	return w.buf
}

// encodeBrokerMemberGroup writes the BrokerMemberGroup body of
// GET_BROKER_MEMBER_GROUP.
func encodeBrokerMemberGroup(cluster, brokerName string, addrs map[int64]string, form jsonForm) []byte {
	w := &jsonWriter{form: form}
	w.beginObject()
	w.key("brokerAddrs")
	w.addrMap(addrs)
	w.key("brokerName")
	w.str(brokerName)
	w.key("cluster")
	w.str(cluster)
	w.endObject()
	return w.buf
}
