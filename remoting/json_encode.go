package remoting

import (
	"strconv"

	"github.com/saturnmq/saturn/fastjson"
)

// appendJSONHeader appends c's header as compact JSON. Members are written in
// alphabetical order, as upstream's fastjson writes them; the Go client reads
// them in any order. Hand-written because reflection-based encoding costs
// microseconds per frame on the hot path.
func appendJSONHeader(dst []byte, c *Command) []byte {
	dst = append(dst, `{"code":`...)
	dst = strconv.AppendInt(dst, int64(c.Code), 10)
	if c.ExtFields != nil || c.Fields != nil {
		dst = append(dst, `,"extFields":{`...)
		first := true
		for k, v := range c.ExtFields {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = fastjson.AppendString(dst, k)
			dst = append(dst, ':')
			dst = fastjson.AppendString(dst, v)
		}
		for _, f := range c.Fields {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = fastjson.AppendString(dst, f.Key)
			dst = append(dst, ':')
			dst = fastjson.AppendString(dst, f.Value)
		}
		dst = append(dst, '}')
	}
	dst = append(dst, `,"flag":`...)
	dst = strconv.AppendInt(dst, int64(c.Flag), 10)
	dst = append(dst, `,"language":`...)
	if c.Language.hasName() {
		dst = append(dst, '"')
		dst = append(dst, c.Language.String()...)
		dst = append(dst, '"')
	} else {
		// No name to write: Java's parser accepts the ordinal, and the Go
		// client maps anything it does not know to "unknown".
		dst = strconv.AppendInt(dst, int64(c.Language), 10)
	}
	dst = append(dst, `,"opaque":`...)
	dst = strconv.AppendInt(dst, int64(c.Opaque), 10)
	if c.Remark != "" {
		dst = append(dst, `,"remark":`...)
		dst = fastjson.AppendString(dst, c.Remark)
	}
	dst = append(dst, `,"serializeTypeCurrentRPC":"JSON","version":`...)
	dst = strconv.AppendInt(dst, int64(c.Version), 10)
	return append(dst, '}')
}
