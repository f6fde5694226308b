package namesrv

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"slices"
	"strings"
	"testing"
)

// Bodies as Java brokers send them (fastjson, sorted members).
const (
	body497 = `{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":3,"timestamp":1700000000000},` +
		`"topicConfigTable":{"TBW102":{"order":false,"perm":7,"readQueueNums":8,"topicFilterType":"SINGLE_TAG","topicName":"TBW102","topicSysFlag":0,"writeQueueNums":8},` +
		`"TopicA":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicA","topicSysFlag":1,"writeQueueNums":2}}}}`
	// 5.x adds attributes, stateVersion and the static-topic mapping, whose
	// currIdMap is a Map<Integer,Integer> written with bare keys.
	body533 = `{"filterServerList":["fs:1"],"topicConfigSerializeWrapper":{"dataVersion":{"counter":9,"stateVersion":2,"timestamp":1700000000001},` +
		`"mappingDataVersion":{"counter":0,"stateVersion":0,"timestamp":1},` +
		`"topicConfigTable":{"TopicB":{"attributes":{"+message.type":"NORMAL"},"order":false,"perm":6,"readQueueNums":"16","topicFilterType":"SINGLE_TAG","topicName":"TopicB","topicSysFlag":0,"writeQueueNums":16}},` +
		`"topicQueueMappingInfoMap":{"TopicS":{"bname":"b","currIdMap":{0:0,1:1},"epoch":1,"totalQueues":2}}}}`
)

func sortedTopics(ts []TopicConfig) []TopicConfig {
	return slices.SortedFunc(slices.Values(ts), func(a, b TopicConfig) int { return strings.Compare(a.Name, b.Name) })
}

// compressBody builds the compressed form the way upstream's
// RegisterBrokerBody.encode(true) lays it out.
func compressBody(t *testing.T, dv string, topics []string, filters string, trailer []byte) []byte {
	t.Helper()
	var raw bytes.Buffer
	put := func(b []byte) {
		binary.Write(&raw, binary.BigEndian, int32(len(b)))
		raw.Write(b)
	}
	put([]byte(dv))
	binary.Write(&raw, binary.BigEndian, int32(len(topics)))
	for _, tp := range topics {
		put([]byte(tp))
	}
	put([]byte(filters))
	raw.Write(trailer)
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zw.Write(raw.Bytes())
	zw.Close()
	return z.Bytes()
}

func TestDecodeRegisterBody(t *testing.T) {
	tests := []struct {
		name       string
		body       []byte
		compressed bool
		want       registerBody
	}{
		{
			name: "empty body",
			want: registerBody{},
		},
		{
			name: "4.9.7 JSON",
			body: []byte(body497),
			want: registerBody{
				Topics: []TopicConfig{
					{Name: "TBW102", ReadQueueNums: 8, WriteQueueNums: 8, Perm: 7},
					{Name: "TopicA", ReadQueueNums: 4, WriteQueueNums: 2, Perm: 6, TopicSysFlag: 1},
				},
				DataVersion:   DataVersion{Timestamp: 1700000000000, Counter: 3},
				FilterServers: []string{},
			},
		},
		{
			name: "5.x JSON with bare keys and quoted number",
			body: []byte(body533),
			want: registerBody{
				Topics:        []TopicConfig{{Name: "TopicB", ReadQueueNums: 16, WriteQueueNums: 16, Perm: 6}},
				DataVersion:   DataVersion{StateVersion: 2, Timestamp: 1700000000001, Counter: 9},
				FilterServers: []string{"fs:1"},
			},
		},
		{
			name:       "compressed",
			compressed: true,
			body: compressBody(t, `{"counter":5,"stateVersion":0,"timestamp":1700000000002}`,
				[]string{"TopicA 4 2 6 SINGLE_TAG", `TopicC 8 8 6 MULTI_TAG {"+a":"b c"}`}, `[]`,
				// 5.x trailer: one static-topic mapping entry, ignored.
				append([]byte{0, 0, 0, 1, 0, 0, 0, 2}, "{}"...)),
			want: registerBody{
				Topics: []TopicConfig{
					{Name: "TopicA", ReadQueueNums: 4, WriteQueueNums: 2, Perm: 6},
					{Name: "TopicC", ReadQueueNums: 8, WriteQueueNums: 8, Perm: 6},
				},
				DataVersion:   DataVersion{Timestamp: 1700000000002, Counter: 5},
				FilterServers: []string{},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeRegisterBody(tc.body, tc.compressed)
			if err != nil {
				t.Fatal(err)
			}
			got.Topics = sortedTopics(got.Topics)
			if !slices.Equal(got.Topics, tc.want.Topics) || got.DataVersion != tc.want.DataVersion ||
				!slices.Equal(got.FilterServers, tc.want.FilterServers) || (got.FilterServers == nil) != (tc.want.FilterServers == nil) {
				t.Errorf("\n have %+v\n want %+v", *got, tc.want)
			}
		})
	}
}

func TestDecodeRegisterBodyErrors(t *testing.T) {
	good := compressBody(t, `{"counter":1}`, []string{"T 1 1 6 SINGLE_TAG"}, `[]`, nil)
	tests := []struct {
		name       string
		body       []byte
		compressed bool
		wantErr    string
	}{
		{"bad JSON", []byte(`{"topicConfigSerializeWrapper":`), false, "RegisterBrokerBody"},
		{"wrong type", []byte(`{"topicConfigSerializeWrapper":{"topicConfigTable":{"T":{"perm":"x"}}}}`), false, "not an integer"},
		{"not zlib", []byte("plain"), true, "compressed"},
		{"truncated stream", good[:len(good)-6], true, "compressed"},
		{"short topic text", compressBody(t, `{}`, []string{"T 1 1"}, `[]`, nil), true, "at least 5 fields"},
		{"bad number", compressBody(t, `{}`, []string{"T x 1 6 SINGLE_TAG"}, `[]`, nil), true, "field 2"},
		{"negative count", deflate(int32(2), "{}", int32(-1)), true, "negative topic count"},
		{"negative length", deflate(int32(-5)), true, "negative length"},
		{"length beyond data", deflate(int32(2), "{}", int32(1), int32(100), "T 1 1 6 X"), true, "only 9 bytes"},
		{"missing filter list", deflate(int32(2), "{}", int32(0)), true, "filter server list"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeRegisterBody(tc.body, tc.compressed)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// deflate zlib-compresses a sequence of big-endian int32s and strings.
func deflate(parts ...any) []byte {
	var raw bytes.Buffer
	for _, p := range parts {
		switch v := p.(type) {
		case int32:
			binary.Write(&raw, binary.BigEndian, v)
		case string:
			raw.WriteString(v)
		}
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(raw.Bytes())
	zw.Close()
	return z.Bytes()
}
