package remoting

import (
	"encoding/binary"
	"math"
	"strconv"
)

// Frame layout (all integers big-endian):
//
//	totalLength int32   bytes after this field = 4 + headerLength + bodyLength
//	headerWord  int32   top byte: SerializeType; low 24 bits: headerLength
//	header      [headerLength]byte
//	body        [totalLength-4-headerLength]byte
const (
	// LengthFieldSize is the size of the totalLength prefix of every frame.
	LengthFieldSize = 4
	// MaxHeaderLength is the largest header the 24-bit length can describe.
	MaxHeaderLength = 1<<24 - 1
	// DefaultMaxFrameSize is upstream's default limit for totalLength
	// (com.rocketmq.remoting.frameMaxLength).
	DefaultMaxFrameSize = 16 << 20
)

// Encode appends one whole frame for c, length prefix included, to dst and
// returns the extended slice. The header is written in c.Serialize. On error
// dst is returned unchanged (same length) together with a *FrameError.
//
// JSON headers hold the members code, extFields (only when ExtFields is
// non-nil), flag, language (the enum name), opaque, remark (only when
// non-empty), serializeTypeCurrentRPC and version, in this order, as upstream
// writes them. Binary headers follow upstream's ROCKETMQ layout; empty remarks
// and ext entries with an empty key or value are left out there, because that
// form cannot tell empty from absent.
func Encode(dst []byte, c *Command) ([]byte, error) {
	return appendFrame(dst, c, c.Serialize)
}

// appendFrame is Encode with the serialization given separately, so senders
// can choose it without modifying the caller's command.
func appendFrame(dst []byte, c *Command, st SerializeType) ([]byte, error) {
	dst, err := appendFrameHead(dst, c, st)
	if err != nil {
		return dst, err
	}
	return append(dst, c.Body...), nil
}

// appendFrameHead appends c's frame without its body: the length prefix
// (which counts the body), the header-length word and the header. The body's
// bytes must follow it on the wire.
func appendFrameHead(dst []byte, c *Command, st SerializeType) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0, 0, 0, 0, 0) // totalLength and headerWord, filled in below
	hstart := len(dst)
	var err error
	switch st {
	case SerializeJSON:
		dst = appendJSONHeader(dst, c)
	case SerializeRocketMQ:
		dst, err = appendBinaryHeader(dst, c)
	default:
		err = frameErr(ErrUnknownSerializeType, -1, "cannot encode with serialize type "+strconv.Itoa(int(st)))
	}
	if err != nil {
		return dst[:start], err
	}
	hlen := len(dst) - hstart
	if hlen > MaxHeaderLength {
		return dst[:start], frameErr(ErrNotEncodable, -1, "header of "+strconv.Itoa(hlen)+" bytes exceeds the 24-bit header length")
	}
	total := 4 + hlen + len(c.Body)
	if total > math.MaxInt32 {
		return dst[:start], frameErr(ErrNotEncodable, -1, "frame of "+strconv.Itoa(total)+" bytes exceeds the 32-bit total length")
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(total))
	binary.BigEndian.PutUint32(dst[start+4:], uint32(st)<<24|uint32(hlen))
	return dst, nil
}

// Decode decodes one frame. frame holds the bytes that follow the 4-byte
// totalLength prefix, exactly totalLength of them: the header-length word, the
// header and the body.
//
// The returned command's Body aliases frame (it is a sub-slice, capped so that
// appending to it copies); the caller must not reuse frame while the command is
// in use. Header strings are copied and never alias frame.
//
// Errors are *FrameError values wrapping ErrBadLength (short frame, header
// length beyond the frame), ErrUnknownSerializeType or ErrBadHeader.
func Decode(frame []byte) (*Command, error) {
	return decodeFrame(frame, nil, nil)
}

// decodeFrame is Decode taking the ExtFields map from maps, or putting the
// custom header into Fields when fields (if not nil) says so for the decoded
// command.
func decodeFrame(frame []byte, maps *extPool, fields func(*Command) bool) (*Command, error) {
	if len(frame) < 4 {
		return nil, frameErr(ErrBadLength, -1, "frame of "+strconv.Itoa(len(frame))+" bytes is shorter than the 4-byte header-length word")
	}
	word := binary.BigEndian.Uint32(frame)
	st := SerializeType(word >> 24)
	hlen := int(word & MaxHeaderLength)
	if hlen > len(frame)-4 {
		return nil, frameErr(ErrBadLength, -1, "header length "+strconv.Itoa(hlen)+" exceeds the "+strconv.Itoa(len(frame)-4)+" bytes left in the frame")
	}
	header := frame[4 : 4+hlen]
	c := &Command{Serialize: st}
	var err error
	switch st {
	case SerializeJSON:
		err = decodeJSONHeader(header, c, maps, fields)
	case SerializeRocketMQ:
		err = decodeBinaryHeader(header, c, maps, fields)
	default:
		return nil, frameErr(ErrUnknownSerializeType, -1, "serialize type byte is "+strconv.Itoa(int(st))+", want 0 (JSON) or 1 (ROCKETMQ)")
	}
	if err != nil {
		return nil, err
	}
	if body := frame[4+hlen:]; len(body) > 0 {
		c.Body = body[:len(body):len(body)]
	}
	return c, nil
}
