package remoting

import (
	"encoding/binary"
	"math"
	"strconv"
)

// ROCKETMQ binary header layout (big-endian):
//
//	0   int16  code
//	2   int8   language
//	3   int16  version
//	5   int32  opaque
//	9   int32  flag
//	13  int32  remark length R (0: no remark)
//	17  [R]    remark
//	17+R int32 extFields length E: bytes of all entries
//	21+R [E]   entries: int16 key length, key, int32 value length, value
const binaryFixedLength = 21

// appendBinaryHeader appends c's header in the ROCKETMQ binary form. Code and
// version must fit in 16 bits: upstream would silently truncate them (a POP
// code would turn into another request), so this refuses instead.
func appendBinaryHeader(dst []byte, c *Command) ([]byte, error) {
	if c.Code < math.MinInt16 || c.Code > math.MaxInt16 {
		return dst, frameErr(ErrNotEncodable, -1, "code "+strconv.Itoa(int(c.Code))+" does not fit the 16-bit code of a ROCKETMQ header; use JSON")
	}
	if c.Version < math.MinInt16 || c.Version > math.MaxInt16 {
		return dst, frameErr(ErrNotEncodable, -1, "version "+strconv.Itoa(int(c.Version))+" does not fit the 16-bit version of a ROCKETMQ header")
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(c.Code))
	dst = append(dst, byte(c.Language))
	dst = binary.BigEndian.AppendUint16(dst, uint16(c.Version))
	dst = binary.BigEndian.AppendUint32(dst, uint32(c.Opaque))
	dst = binary.BigEndian.AppendUint32(dst, uint32(c.Flag))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(c.Remark)))
	dst = append(dst, c.Remark...)
	extStart := len(dst)
	dst = append(dst, 0, 0, 0, 0) // E, filled in below
	var err error
	for k, v := range c.ExtFields {
		if dst, err = appendBinaryEntry(dst, k, v); err != nil {
			return dst[:extStart], err
		}
	}
	for _, f := range c.Fields {
		if dst, err = appendBinaryEntry(dst, f.Key, f.Value); err != nil {
			return dst[:extStart], err
		}
	}
	binary.BigEndian.PutUint32(dst[extStart:], uint32(len(dst)-extStart-4))
	return dst, nil
}

// appendBinaryEntry appends one ext entry; entries with an empty key or
// value are left out, since empty means absent in this form.
func appendBinaryEntry(dst []byte, k, v string) ([]byte, error) {
	if k == "" || v == "" {
		return dst, nil
	}
	if len(k) > math.MaxInt16 {
		return dst, frameErr(ErrNotEncodable, -1, "ext key of "+strconv.Itoa(len(k))+" bytes exceeds the 16-bit key length")
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(k)))
	dst = append(dst, k...)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(v)))
	return append(dst, v...), nil
}

// decodeBinaryHeader decodes a ROCKETMQ binary header into c. Every length is
// checked against the bytes that are there; negative lengths and trailing
// bytes after the ext entries are errors. Zero-length remarks, keys and
// values mean absent, as upstream decodes them. The entries go to c.Fields,
// in header order, when fields (if not nil) says so for c, else to
// c.ExtFields (later duplicates win). As in the JSON decoder, all
// strings are substrings of one copy of the header.
func decodeBinaryHeader(h []byte, c *Command, maps *extPool, fields func(*Command) bool) error {
	if len(h) < binaryFixedLength {
		return frameErr(ErrBadLength, -1, "ROCKETMQ header of "+strconv.Itoa(len(h))+" bytes is shorter than its fixed 21 bytes")
	}
	c.Code = int32(int16(binary.BigEndian.Uint16(h[0:])))
	c.Language = LanguageCode(h[2])
	c.Version = int32(int16(binary.BigEndian.Uint16(h[3:])))
	c.Opaque = int32(binary.BigEndian.Uint32(h[5:]))
	c.Flag = int32(binary.BigEndian.Uint32(h[9:]))

	// All bounds checks below are done in int64 so that no length can overflow.
	rlen := int64(int32(binary.BigEndian.Uint32(h[13:])))
	if rlen < 0 || 17+rlen+4 > int64(len(h)) {
		return frameErr(ErrBadLength, 13, "ROCKETMQ remark length "+strconv.FormatInt(rlen, 10)+" does not fit the "+strconv.Itoa(len(h))+"-byte header")
	}
	eoff := 17 + int(rlen)
	elen := int64(int32(binary.BigEndian.Uint32(h[eoff:])))
	if elen < 0 || int64(eoff)+4+elen != int64(len(h)) {
		return frameErr(ErrBadLength, eoff, "ROCKETMQ extFields length "+strconv.FormatInt(elen, 10)+" disagrees with the "+strconv.Itoa(len(h)-eoff-4)+" header bytes left")
	}
	if rlen == 0 && elen == 0 {
		return nil
	}
	s := string(h[17:]) // one copy for all strings; offsets below are relative to 17
	if rlen > 0 {
		c.Remark = s[:rlen]
	}
	if elen == 0 {
		return nil
	}
	ents := s[rlen+4:]
	base := eoff + 4
	asFields := fields != nil && fields(c)

	// First pass: validate the entries and count them to size the map.
	n := 0
	for p := 0; p < len(ents); {
		klen, vlen, next, err := binaryEntry(ents, p, base)
		if err != nil {
			return err
		}
		if klen > 0 && vlen > 0 {
			n++
		}
		p = next
	}
	if n == 0 {
		return nil // only empty entries: as absent as no entries
	}
	if asFields {
		fs, box := maps.getFields(n)
		for p := 0; p < len(ents); {
			klen, vlen, next, _ := binaryEntry(ents, p, base)
			if klen > 0 && vlen > 0 {
				fs = append(fs, ExtField{ents[p+2 : p+2+klen], ents[next-vlen : next]})
			}
			p = next
		}
		c.Fields, c.fieldsBox = fs, box
		return nil
	}
	m := maps.get(n)
	for p := 0; p < len(ents); {
		klen, vlen, next, _ := binaryEntry(ents, p, base)
		if klen > 0 && vlen > 0 {
			k := ents[p+2 : p+2+klen]
			m[k] = ents[next-vlen : next]
		}
		p = next
	}
	c.ExtFields = m
	return nil
}

// binaryEntry checks the ext entry at ents[p:] and returns its key and value
// lengths and the offset of the next entry. base is ents' offset in the header,
// for error messages.
func binaryEntry(ents string, p, base int) (klen, vlen, next int, err error) {
	if len(ents)-p < 2 {
		return 0, 0, 0, frameErr(ErrBadLength, base+p, "ROCKETMQ ext entry truncated before its key length")
	}
	klen = int(int16(uint16(ents[p])<<8 | uint16(ents[p+1])))
	if klen < 0 || len(ents)-p-2 < klen+4 {
		return 0, 0, 0, frameErr(ErrBadLength, base+p, "ROCKETMQ ext key length "+strconv.Itoa(klen)+" does not fit the entries")
	}
	q := p + 2 + klen
	v := int64(int32(uint32(ents[q])<<24 | uint32(ents[q+1])<<16 | uint32(ents[q+2])<<8 | uint32(ents[q+3])))
	if v < 0 || int64(len(ents)-q-4) < v {
		return 0, 0, 0, frameErr(ErrBadLength, base+q, "ROCKETMQ ext value length "+strconv.FormatInt(v, 10)+" does not fit the entries")
	}
	return klen, int(v), q + 4 + int(v), nil
}
