package remoting

import (
	"context"
	"encoding/binary"
	"math"
	"slices"
	"strconv"
)

// BinaryExt holds a request's custom header fields already encoded as the
// entries of a ROCKETMQ binary header, so that a sender on the hot path
// builds them with a few appends instead of filling a map that the encoder
// then hashes and iterates. The zero value is empty and ready to use; Reset
// empties it and keeps its buffer.
//
// As in every binary header, entries with an empty key or value are left
// out: that form cannot tell empty from absent.
type BinaryExt struct {
	b   []byte
	err error // first key that could not be encoded
}

// Reset removes all fields.
func (e *BinaryExt) Reset() {
	e.b = e.b[:0]
	e.err = nil
}

// Len returns the encoded size of the fields in bytes.
func (e *BinaryExt) Len() int { return len(e.b) }

func (e *BinaryExt) key(k string, vlen int) bool {
	if k == "" || vlen == 0 {
		return false
	}
	if len(k) > math.MaxInt16 {
		if e.err == nil {
			e.err = frameErr(ErrNotEncodable, -1, "ext key of "+strconv.Itoa(len(k))+" bytes exceeds the 16-bit key length")
		}
		return false
	}
	// One capacity check for the entry, then plain stores.
	n := len(e.b)
	e.b = slices.Grow(e.b, 6+len(k)+vlen)[:n+6+len(k)]
	binary.BigEndian.PutUint16(e.b[n:], uint16(len(k)))
	copy(e.b[n+2:], k)
	binary.BigEndian.PutUint32(e.b[n+2+len(k):], uint32(vlen))
	return true
}

// Add appends field k with value v.
func (e *BinaryExt) Add(k, v string) {
	if e.key(k, len(v)) {
		e.b = append(e.b, v...)
	}
}

// AddBytes appends field k with value v; v is copied.
func (e *BinaryExt) AddBytes(k string, v []byte) {
	if e.key(k, len(v)) {
		e.b = append(e.b, v...)
	}
}

// AddInt appends field k with the decimal form of v.
func (e *BinaryExt) AddInt(k string, v int64) {
	if v >= 0 && v < 10 {
		// Flags, counters and queue ids are mostly single digits.
		if e.key(k, 1) {
			e.b = append(e.b, byte('0'+v))
		}
		return
	}
	var tmp [20]byte
	d := strconv.AppendInt(tmp[:0], v, 10)
	e.AddBytes(k, d)
}

// Append appends all fields of o, which may be encoded once and appended to
// many requests (the fields every request of a sender has).
func (e *BinaryExt) Append(o *BinaryExt) {
	if o.err != nil && e.err == nil {
		e.err = o.err
	}
	e.b = append(e.b, o.b...)
}

// AddBool appends field k with "true" or "false".
func (e *BinaryExt) AddBool(k string, v bool) {
	if v {
		e.Add(k, "true")
	} else {
		e.Add(k, "false")
	}
}

// appendBinaryFrame appends the whole frame of req, with ext's entries as its
// custom header (req.ExtFields is ignored), in the ROCKETMQ serialization,
// with the given opaque and flag.
func appendBinaryFrame(dst []byte, req *Command, ext *BinaryExt, opaque, flag int32) ([]byte, error) {
	dst, err := appendBinaryFrameHead(dst, req, ext, opaque, flag, len(req.Body))
	if err != nil {
		return dst, err
	}
	return append(dst, req.Body...), nil
}

// appendBinaryFrameHead is appendBinaryFrame without the body, for which
// it reserves room (spare) in dst: the frame's length counts the body,
// whose bytes must follow on the wire.
func appendBinaryFrameHead(dst []byte, req *Command, ext *BinaryExt, opaque, flag int32, spare int) ([]byte, error) {
	if ext.err != nil {
		return dst, ext.err
	}
	if req.Code < math.MinInt16 || req.Code > math.MaxInt16 || req.Version < math.MinInt16 || req.Version > math.MaxInt16 {
		return dst, frameErr(ErrNotEncodable, -1, "code "+strconv.Itoa(int(req.Code))+" or version "+strconv.Itoa(int(req.Version))+" does not fit a ROCKETMQ header")
	}
	hlen := binaryFixedLength + len(req.Remark) + len(ext.b)
	if hlen > MaxHeaderLength {
		return dst, frameErr(ErrNotEncodable, -1, "header of "+strconv.Itoa(hlen)+" bytes exceeds the 24-bit header length")
	}
	total := 4 + hlen + len(req.Body)
	if total > math.MaxInt32 {
		return dst, frameErr(ErrNotEncodable, -1, "frame of "+strconv.Itoa(total)+" bytes exceeds the 32-bit total length")
	}
	if n := len(dst) + 4 + total - len(req.Body) + spare; cap(dst) < n {
		grown := make([]byte, len(dst), n)
		copy(grown, dst)
		dst = grown
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(total))
	dst = binary.BigEndian.AppendUint32(dst, uint32(SerializeRocketMQ)<<24|uint32(hlen))
	dst = binary.BigEndian.AppendUint16(dst, uint16(req.Code))
	dst = append(dst, byte(req.Language))
	dst = binary.BigEndian.AppendUint16(dst, uint16(req.Version))
	dst = binary.BigEndian.AppendUint32(dst, uint32(opaque))
	dst = binary.BigEndian.AppendUint32(dst, uint32(flag))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(req.Remark)))
	dst = append(dst, req.Remark...)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(ext.b)))
	dst = append(dst, ext.b...)
	return dst, nil
}

// InvokeSyncExt is InvokeSync with the custom header given as ext, when not
// nil, in place of req.ExtFields; the request then goes in the ROCKETMQ
// binary serialization whatever the client's configuration says.
func (c *Client) InvokeSyncExt(ctx context.Context, addr string, req *Command, ext *BinaryExt) (*Command, error) {
	conn, err := c.conn(ctx, addr)
	if err != nil {
		return nil, err
	}
	st := c.serializeFor(req)
	if ext == nil {
		return conn.invokeSync(ctx, req, st)
	}
	return conn.awaitCall(ctx, req, func(op, flag int32) error { return conn.sendExt(req, ext, st, op, flag) })
}

// InvokeOnewayExt is InvokeOneway with the custom header given as ext, when
// not nil, as for InvokeSyncExt.
func (c *Client) InvokeOnewayExt(ctx context.Context, addr string, req *Command, ext *BinaryExt) error {
	conn, err := c.conn(ctx, addr)
	if err != nil {
		return err
	}
	return conn.sendExt(req, ext, c.serializeFor(req), conn.nextOpaque(), (req.Flag|FlagOneway)&^FlagResponse)
}
