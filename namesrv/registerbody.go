package namesrv

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/saturnmq/saturn/fastjson"
)

// maxInflatedRegisterBody bounds the decompressed size of a compressed
// REGISTER_BROKER body, so that a small hostile frame cannot make the name
// server allocate without limit. A topic entry inflates to well under 1 KiB;
// this allows for several hundred thousand topics.
const maxInflatedRegisterBody = 256 << 20

// registerBody is a decoded RegisterBrokerBody.
type registerBody struct {
	Topics      []TopicConfig
	DataVersion DataVersion
	// FilterServers is nil when the body did not carry the list (the broker's
	// previous list is then kept) and empty when the broker has none.
	FilterServers []string
}

// JSON shapes of the uncompressed body as fastjson writes it. Unknown members
// (5.x topicQueueMappingInfoMap, mappingDataVersion, attributes, ...) are
// ignored.
type (
	registerBodyJSON struct {
		TopicConfigSerializeWrapper topicConfigWrapperJSON `json:"topicConfigSerializeWrapper"`
		FilterServerList            []string               `json:"filterServerList"`
	}
	topicConfigWrapperJSON struct {
		TopicConfigTable map[string]topicConfigJSON `json:"topicConfigTable"`
		DataVersion      dataVersionJSON            `json:"dataVersion"`
	}
	topicConfigJSON struct {
		TopicName      string                `json:"topicName"`
		ReadQueueNums  fastjson.LenientInt64 `json:"readQueueNums"`
		WriteQueueNums fastjson.LenientInt64 `json:"writeQueueNums"`
		Perm           fastjson.LenientInt64 `json:"perm"`
		TopicSysFlag   fastjson.LenientInt64 `json:"topicSysFlag"`
	}
	dataVersionJSON struct {
		StateVersion fastjson.LenientInt64 `json:"stateVersion"`
		Timestamp    fastjson.LenientInt64 `json:"timestamp"`
		Counter      fastjson.LenientInt64 `json:"counter"`
	}
)

func (d dataVersionJSON) version() DataVersion {
	return DataVersion{StateVersion: int64(d.StateVersion), Timestamp: int64(d.Timestamp), Counter: int64(d.Counter)}
}

func (t topicConfigJSON) config(key string) TopicConfig {
	name := t.TopicName
	if name == "" {
		name = key
	}
	return TopicConfig{
		Name:           name,
		ReadQueueNums:  int32(t.ReadQueueNums),
		WriteQueueNums: int32(t.WriteQueueNums),
		Perm:           int32(t.Perm),
		TopicSysFlag:   int32(t.TopicSysFlag),
	}
}

// decodeRegisterBody decodes the body of REGISTER_BROKER. An empty body
// yields an empty topic table with data version zero, as upstream does.
func decodeRegisterBody(body []byte, compressed bool) (*registerBody, error) {
	if len(body) == 0 {
		return &registerBody{}, nil
	}
	if compressed {
		return decodeCompressedRegisterBody(body)
	}
	var j registerBodyJSON
	if err := fastjson.Unmarshal(body, &j); err != nil {
		return nil, fmt.Errorf("decode RegisterBrokerBody: %w", err)
	}
	rb := &registerBody{
		DataVersion:   j.TopicConfigSerializeWrapper.DataVersion.version(),
		FilterServers: j.FilterServerList,
	}
	for key, tc := range j.TopicConfigSerializeWrapper.TopicConfigTable {
		rb.Topics = append(rb.Topics, tc.config(key))
	}
	return rb, nil
}

// decodeCompressedRegisterBody decodes the compressed form a broker sends
// with compressed=true: a zlib stream holding
//
//	int32 n, n bytes DataVersion JSON
//	int32 topic count, per topic: int32 n, n bytes "name read write perm filterType [attributesJSON]"
//	int32 n, n bytes filterServerList JSON
//	(5.x brokers: static-topic mapping entries, ignored here)
//
// with big-endian lengths. The text form carries no topicSysFlag, so topics
// registered this way have sysFlag 0, as on a Java name server.
func decodeCompressedRegisterBody(body []byte) (*registerBody, error) {
	zr, err := zlib.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("decode compressed RegisterBrokerBody: %w", err)
	}
	defer zr.Close()
	r := &chunkReader{r: io.LimitReader(zr, maxInflatedRegisterBody)}

	rb := &registerBody{}
	dv, err := r.chunk()
	if err != nil {
		return nil, fmt.Errorf("decode compressed RegisterBrokerBody: data version: %w", err)
	}
	var dvj dataVersionJSON
	if err := fastjson.Unmarshal(dv, &dvj); err != nil {
		return nil, fmt.Errorf("decode compressed RegisterBrokerBody: data version: %w", err)
	}
	rb.DataVersion = dvj.version()

	n, err := r.int32()
	if err != nil {
		return nil, fmt.Errorf("decode compressed RegisterBrokerBody: topic count: %w", err)
	}
	if n < 0 {
		return nil, fmt.Errorf("decode compressed RegisterBrokerBody: negative topic count %d", n)
	}
	for i := range n {
		text, err := r.chunk()
		if err != nil {
			return nil, fmt.Errorf("decode compressed RegisterBrokerBody: topic %d: %w", i, err)
		}
		tc, err := parseTopicConfigText(string(text))
		if err != nil {
			return nil, fmt.Errorf("decode compressed RegisterBrokerBody: topic %d: %w", i, err)
		}
		rb.Topics = append(rb.Topics, tc)
	}

	fs, err := r.chunk()
	if err != nil {
		return nil, fmt.Errorf("decode compressed RegisterBrokerBody: filter server list: %w", err)
	}
	if err := fastjson.Unmarshal(fs, &rb.FilterServers); err != nil {
		return nil, fmt.Errorf("decode compressed RegisterBrokerBody: filter server list: %w", err)
	}
	return rb, nil
}

// parseTopicConfigText parses upstream's TopicConfig text form
// "name read write perm filterType [attributesJSON]". The attributes JSON may
// itself contain blanks, so only the first five fields are split off.
func parseTopicConfigText(s string) (TopicConfig, error) {
	f := strings.SplitN(s, " ", 6)
	if len(f) < 5 {
		return TopicConfig{}, fmt.Errorf("topic config %q: want at least 5 fields, have %d", s, len(f))
	}
	tc := TopicConfig{Name: f[0]}
	for i, dst := range []*int32{&tc.ReadQueueNums, &tc.WriteQueueNums, &tc.Perm} {
		v, err := strconv.ParseInt(f[i+1], 10, 32)
		if err != nil {
			return TopicConfig{}, fmt.Errorf("topic config %q: field %d: %w", s, i+2, err)
		}
		*dst = int32(v)
	}
	return tc, nil
}

// chunkReader reads the length-prefixed pieces of the compressed body.
type chunkReader struct {
	r io.Reader
}

func (c *chunkReader) int32() (int32, error) {
	var b [4]byte
	if _, err := io.ReadFull(c.r, b[:]); err != nil {
		return 0, truncated(err)
	}
	return int32(binary.BigEndian.Uint32(b[:])), nil
}

func (c *chunkReader) chunk() ([]byte, error) {
	n, err := c.int32()
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, fmt.Errorf("negative length %d", n)
	}
	// Read through a bounded reader instead of allocating n bytes up front:
	// n comes from the peer.
	buf, err := io.ReadAll(io.LimitReader(c.r, int64(n)))
	if err != nil {
		return nil, truncated(err)
	}
	if len(buf) != int(n) {
		return nil, fmt.Errorf("length %d, only %d bytes: %w", n, len(buf), io.ErrUnexpectedEOF)
	}
	return buf, nil
}

func truncated(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// decodeTopicConfigWrapper decodes the body brokers older than 3.0.11 send:
// a bare TopicConfigSerializeWrapper instead of a RegisterBrokerBody.
func decodeTopicConfigWrapper(body []byte) (*registerBody, error) {
	if len(body) == 0 {
		return &registerBody{}, nil
	}
	var j topicConfigWrapperJSON
	if err := fastjson.Unmarshal(body, &j); err != nil {
		return nil, fmt.Errorf("decode TopicConfigSerializeWrapper: %w", err)
	}
	rb := &registerBody{DataVersion: j.DataVersion.version()}
	for key, tc := range j.TopicConfigTable {
		rb.Topics = append(rb.Topics, tc.config(key))
	}
	return rb, nil
}
