package message

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"net/netip"
	"slices"
)

// Byte positions of the fixed fields of a stored record. Fields after the
// born host move by 12 bytes when the born host is IPv6; use the functions
// below for those.
const (
	OffsetTotalSize      = 0
	OffsetMagic          = 4
	OffsetBodyCRC        = 8
	OffsetQueueID        = 12
	OffsetFlag           = 16
	OffsetQueueOffset    = 20
	OffsetPhysicalOffset = 28
	OffsetSysFlag        = 36
	OffsetBornTimestamp  = 40
	OffsetBornHost       = 48
)

// MinStoredSize is the size of a V1 record with IPv4 hosts and empty body,
// topic and properties: the fixed part of the layout.
const MinStoredSize = 91

// BlankSize is the size of the end-of-segment filler header
// [int32 remaining][int32 BlankMagic].
const BlankSize = 8

// MaxTopicLengthV1 is the longest topic (in bytes) a V1 record can hold; a
// longer topic makes AppendStored write a V2 record.
const MaxTopicLengthV1 = 127

// MaxTopicLength is the longest topic a V2 record can hold.
const MaxTopicLength = 32767

// Errors of the stored-record and batch codecs. Returned errors wrap one of
// these with details; test with errors.Is.
var (
	// ErrShortBuffer: the buffer ends before the record does (more bytes are
	// needed, or the record was cut).
	ErrShortBuffer = errors.New("message: short buffer")
	// ErrBadMagic: the magic code is neither V1, V2 nor blank.
	ErrBadMagic = errors.New("message: bad magic code")
	// ErrSizeMismatch: the record's length fields do not add up to its
	// total size.
	ErrSizeMismatch = errors.New("message: size mismatch")
	// ErrBlank: the bytes are an end-of-segment filler, not a record. The
	// size returned with it is the filler's remaining length.
	ErrBlank = errors.New("message: blank end-of-segment marker")
	// ErrBadCRC: the body CRC does not match the body.
	ErrBadCRC = errors.New("message: body CRC mismatch")
	// ErrTopic: the topic is empty or longer than MaxTopicLength.
	ErrTopic = errors.New("message: invalid topic")
	// ErrPropertiesTooLong: the encoded properties exceed MaxPropertiesLength.
	ErrPropertiesTooLong = errors.New("message: properties too long")
	// ErrTooLarge: the record would exceed the int32 size field.
	ErrTooLarge = errors.New("message: record too large")
)

func hostLen(sysFlag, v6bit int32) int {
	if sysFlag&v6bit != 0 {
		return 20
	}
	return 8
}

// StoreTimestampOffset returns the position of STORETIMESTAMP in a record
// with the given sysFlag (56, or 68 when the born host is IPv6).
func StoreTimestampOffset(sysFlag int32) int {
	return OffsetBornHost + hostLen(sysFlag, SysFlagBornHostV6)
}

// StoreHostOffset returns the position of STOREHOST in a record with the
// given sysFlag.
func StoreHostOffset(sysFlag int32) int { return StoreTimestampOffset(sysFlag) + 8 }

// PutQueueOffset patches QUEUEOFFSET of the encoded record rec.
func PutQueueOffset(rec []byte, v int64) {
	binary.BigEndian.PutUint64(rec[OffsetQueueOffset:], uint64(v))
}

// PutPhysicalOffset patches PHYSICALOFFSET of the encoded record rec.
func PutPhysicalOffset(rec []byte, v int64) {
	binary.BigEndian.PutUint64(rec[OffsetPhysicalOffset:], uint64(v))
}

// PutStoreTimestamp patches STORETIMESTAMP of the encoded record rec; its
// position is taken from rec's SYSFLAG.
func PutStoreTimestamp(rec []byte, v int64) {
	sf := int32(binary.BigEndian.Uint32(rec[OffsetSysFlag:]))
	binary.BigEndian.PutUint64(rec[StoreTimestampOffset(sf):], uint64(v))
}

// BodyCRC returns the stored body CRC: CRC-32 (IEEE) with the sign bit
// cleared.
func BodyCRC(body []byte) int32 {
	return int32(crc32.ChecksumIEEE(body) & 0x7FFFFFFF)
}

func isV6(a netip.AddrPort) bool {
	ad := a.Addr()
	return ad.Is6() && !ad.Is4In6()
}

// hostSysFlag returns sysFlag with the IPv6 bits set from the address types.
func hostSysFlag(sysFlag int32, born, store netip.AddrPort) int32 {
	sysFlag &^= SysFlagBornHostV6 | SysFlagStoreHostV6
	if isV6(born) {
		sysFlag |= SysFlagBornHostV6
	}
	if isV6(store) {
		sysFlag |= SysFlagStoreHostV6
	}
	return sysFlag
}

// StoredSize returns the size AppendStored would give m, or an error if m
// cannot be encoded.
func StoredSize(m *Ext) (int, error) {
	n, _, _, err := storedLayout(m)
	return n, err
}

// storedLayout checks m and returns the total size, the properties length
// and whether the record needs V2.
func storedLayout(m *Ext) (size, propsLen int, v2 bool, err error) {
	if len(m.Topic) == 0 || len(m.Topic) > MaxTopicLength {
		return 0, 0, false, fmt.Errorf("%w: length %d", ErrTopic, len(m.Topic))
	}
	v2 = len(m.Topic) > MaxTopicLengthV1
	if m.RawProperties != "" {
		propsLen = len(m.RawProperties)
	} else {
		propsLen = PropertiesLength(m.Properties)
	}
	if propsLen > MaxPropertiesLength {
		return 0, 0, false, fmt.Errorf("%w: %d bytes", ErrPropertiesTooLong, propsLen)
	}
	size = MinStoredSize + len(m.Body) + len(m.Topic) + propsLen
	if v2 {
		size++
	}
	if isV6(m.BornHost) {
		size += 12
	}
	if isV6(m.StoreHost) {
		size += 12
	}
	if size > 1<<31-1 {
		return 0, 0, false, fmt.Errorf("%w: %d bytes", ErrTooLarge, size)
	}
	return size, propsLen, v2, nil
}

// AppendStored appends m encoded in the stored record layout to dst.
//
// It computes BODYCRC, sets the IPv6 bits of SYSFLAG from the address types
// of BornHost and StoreHost (an invalid address is written as 0.0.0.0:0), and
// writes magic V1 unless the topic is longer than 127 bytes; then it writes
// V2, which rocketmq-client-go v2.1.2 and Java clients before 5.1 cannot
// read. It stores the computed StoreSize, BodyCRC and SysFlag back into m.
// Properties come from RawProperties if it is non-empty, else from the map.
func AppendStored(dst []byte, m *Ext) ([]byte, error) {
	size, propsLen, v2, err := storedLayout(m)
	if err != nil {
		return dst, err
	}
	m.SysFlag = hostSysFlag(m.SysFlag, m.BornHost, m.StoreHost)
	m.StoreSize = int32(size)
	m.BodyCRC = BodyCRC(m.Body)
	magic := MagicV1
	if v2 {
		magic = MagicV2
	}
	start := len(dst)
	dst = slices.Grow(dst, size)
	b := binary.BigEndian
	dst = b.AppendUint32(dst, uint32(size))
	dst = b.AppendUint32(dst, magic)
	dst = b.AppendUint32(dst, uint32(m.BodyCRC))
	dst = b.AppendUint32(dst, uint32(m.QueueID))
	dst = b.AppendUint32(dst, uint32(m.Flag))
	dst = b.AppendUint64(dst, uint64(m.QueueOffset))
	dst = b.AppendUint64(dst, uint64(m.CommitLogOffset))
	dst = b.AppendUint32(dst, uint32(m.SysFlag))
	dst = b.AppendUint64(dst, uint64(m.BornTimestamp))
	dst = appendHost(dst, m.BornHost)
	dst = b.AppendUint64(dst, uint64(m.StoreTimestamp))
	dst = appendHost(dst, m.StoreHost)
	dst = b.AppendUint32(dst, uint32(m.ReconsumeTimes))
	dst = b.AppendUint64(dst, uint64(m.PreparedTransactionOffset))
	dst = b.AppendUint32(dst, uint32(len(m.Body)))
	dst = append(dst, m.Body...)
	if v2 {
		dst = b.AppendUint16(dst, uint16(len(m.Topic)))
	} else {
		dst = append(dst, byte(len(m.Topic)))
	}
	dst = append(dst, m.Topic...)
	dst = b.AppendUint16(dst, uint16(propsLen))
	if m.RawProperties != "" {
		dst = append(dst, m.RawProperties...)
	} else {
		dst = AppendProperties(dst, m.Properties)
	}
	// Invariant: the layout computed by storedLayout and the bytes written
	// agree; a difference would corrupt every following record.
	if len(dst)-start != size {
		panic(fmt.Sprintf("message: encoded %d bytes, expected %d", len(dst)-start, size))
	}
	return dst, nil
}

func appendHost(dst []byte, a netip.AddrPort) []byte {
	ad := a.Addr()
	switch {
	case !ad.IsValid():
		dst = append(dst, 0, 0, 0, 0)
	case isV6(a):
		s := ad.As16()
		dst = append(dst, s[:]...)
	default:
		s := ad.Unmap().As4()
		dst = append(dst, s[:]...)
	}
	return binary.BigEndian.AppendUint32(dst, uint32(a.Port()))
}

// View is a zero-copy parse of one stored record: the numeric fields decoded,
// the variable parts aliasing the parsed buffer.
type View struct {
	Size                      int32
	Magic                     uint32
	BodyCRC                   int32
	QueueID                   int32
	Flag                      int32
	QueueOffset               int64
	PhysicalOffset            int64
	SysFlag                   int32
	BornTimestamp             int64
	BornHost                  []byte // address (4 or 16 bytes) followed by the int32 port
	StoreTimestamp            int64
	StoreHost                 []byte // address (4 or 16 bytes) followed by the int32 port
	ReconsumeTimes            int32
	PreparedTransactionOffset int64
	Body                      []byte
	Topic                     []byte
	Properties                []byte
}

// Parse parses the record at the start of b into v without copying. It
// returns the record's total size. Errors: ErrShortBuffer when b holds less
// than the record; ErrBlank (with the filler's length as size) at an
// end-of-segment filler; ErrBadMagic; ErrSizeMismatch when the length fields
// disagree with TOTALSIZE. It does not check the CRC (see Verify).
func (v *View) Parse(b []byte) (int, error) {
	if len(b) < 8 {
		return 0, fmt.Errorf("%w: %d bytes, need 8 for size and magic", ErrShortBuffer, len(b))
	}
	be := binary.BigEndian
	size := int32(be.Uint32(b))
	magic := be.Uint32(b[OffsetMagic:])
	switch magic {
	case MagicV1, MagicV2:
	case BlankMagic:
		return int(size), fmt.Errorf("%w: %d bytes", ErrBlank, size)
	default:
		return 0, fmt.Errorf("%w: %#08x", ErrBadMagic, magic)
	}
	if size < MinStoredSize {
		return 0, fmt.Errorf("%w: total size %d below minimum %d", ErrSizeMismatch, size, MinStoredSize)
	}
	if len(b) < int(size) {
		return 0, fmt.Errorf("%w: record of %d bytes, have %d", ErrShortBuffer, size, len(b))
	}
	r := b[:size]
	v.Size = size
	v.Magic = magic
	v.BodyCRC = int32(be.Uint32(r[8:]))
	v.QueueID = int32(be.Uint32(r[12:]))
	v.Flag = int32(be.Uint32(r[16:]))
	v.QueueOffset = int64(be.Uint64(r[20:]))
	v.PhysicalOffset = int64(be.Uint64(r[28:]))
	v.SysFlag = int32(be.Uint32(r[36:]))
	v.BornTimestamp = int64(be.Uint64(r[40:]))
	p := OffsetBornHost
	// From here on lengths come from the record itself; every step checks
	// that it stays inside r (size >= MinStoredSize covers the IPv4 case
	// only).
	bh := hostLen(v.SysFlag, SysFlagBornHostV6)
	sh := hostLen(v.SysFlag, SysFlagStoreHostV6)
	fixedEnd := p + bh + 8 + sh + 4 + 8 + 4
	if fixedEnd > len(r) {
		return 0, fmt.Errorf("%w: total size %d too small for the hosts", ErrSizeMismatch, size)
	}
	v.BornHost = r[p : p+bh : p+bh]
	p += bh
	v.StoreTimestamp = int64(be.Uint64(r[p:]))
	p += 8
	v.StoreHost = r[p : p+sh : p+sh]
	p += sh
	v.ReconsumeTimes = int32(be.Uint32(r[p:]))
	p += 4
	v.PreparedTransactionOffset = int64(be.Uint64(r[p:]))
	p += 8
	bodyLen := int(int32(be.Uint32(r[p:])))
	p += 4
	if bodyLen < 0 || bodyLen > len(r)-p {
		return 0, fmt.Errorf("%w: body length %d in record of %d bytes", ErrSizeMismatch, bodyLen, size)
	}
	v.Body = r[p : p+bodyLen : p+bodyLen]
	p += bodyLen
	var topicLen int
	if magic == MagicV2 {
		if len(r)-p < 2 {
			return 0, fmt.Errorf("%w: no room for topic length", ErrSizeMismatch)
		}
		topicLen = int(be.Uint16(r[p:]))
		p += 2
	} else {
		if len(r)-p < 1 {
			return 0, fmt.Errorf("%w: no room for topic length", ErrSizeMismatch)
		}
		topicLen = int(r[p])
		p++
	}
	if topicLen > len(r)-p {
		return 0, fmt.Errorf("%w: topic length %d in record of %d bytes", ErrSizeMismatch, topicLen, size)
	}
	v.Topic = r[p : p+topicLen : p+topicLen]
	p += topicLen
	if len(r)-p < 2 {
		return 0, fmt.Errorf("%w: no room for properties length", ErrSizeMismatch)
	}
	propsLen := int(be.Uint16(r[p:]))
	p += 2
	if propsLen != len(r)-p {
		return 0, fmt.Errorf("%w: properties length %d, %d bytes left in record", ErrSizeMismatch, propsLen, len(r)-p)
	}
	v.Properties = r[p:len(r):len(r)]
	return int(size), nil
}

// TagsCode returns the tags code of the record's TAGS property.
func (v *View) TagsCode() int64 {
	t, ok := FindPropertyBytes(v.Properties, PropertyTags)
	if !ok {
		return 0
	}
	return int64(javaHashCodeBytes(t))
}

func javaHashCodeBytes(b []byte) int32 {
	for _, c := range b {
		if c >= 0x80 {
			return JavaHashCode(string(b))
		}
	}
	var h int32
	for _, c := range b {
		h = 31*h + int32(c)
	}
	return h
}

// VerifyStored checks the record at the start of b the way crash recovery
// must: total size, magic, that the length fields add up, and the body CRC.
// It returns the record's size, or the errors of View.Parse and ErrBadCRC.
func VerifyStored(b []byte) (int, error) {
	var v View
	n, err := v.Parse(b)
	if err != nil {
		return n, err
	}
	if got := BodyCRC(v.Body); got != v.BodyCRC {
		return 0, fmt.Errorf("%w: stored %#x, computed %#x", ErrBadCRC, v.BodyCRC, got)
	}
	return n, nil
}

func decodeHost(h []byte) netip.AddrPort {
	port := uint16(binary.BigEndian.Uint32(h[len(h)-4:]))
	if len(h) == 20 {
		return netip.AddrPortFrom(netip.AddrFrom16([16]byte(h[:16])), port)
	}
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte(h[:4])), port)
}

// DecodeStored decodes the record at the start of b. Body aliases b; strings
// and the properties map are copies. It returns the record's size and the
// errors of View.Parse; it does not check the CRC.
func DecodeStored(b []byte) (*Ext, int, error) {
	var v View
	n, err := v.Parse(b)
	if err != nil {
		return nil, n, err
	}
	return v.Ext(), n, nil
}

// Ext builds a message from the view. Body aliases the parsed buffer.
func (v *View) Ext() *Ext {
	m := v.FixedExt()
	raw := string(v.Properties)
	m.Topic = string(v.Topic)
	m.Properties = DecodeProperties(raw)
	m.RawProperties = raw
	return &m
}

// FixedExt returns the view's fixed-width fields and Body (aliasing the
// parsed buffer) as a message, leaving Topic and properties empty: for
// decoders that copy those their own way (a client copies a pull's strings
// at once).
func (v *View) FixedExt() Ext {
	return Ext{
		StoreSize:                 v.Size,
		BodyCRC:                   v.BodyCRC,
		QueueID:                   v.QueueID,
		Flag:                      v.Flag,
		QueueOffset:               v.QueueOffset,
		CommitLogOffset:           v.PhysicalOffset,
		SysFlag:                   v.SysFlag,
		BornTimestamp:             v.BornTimestamp,
		BornHost:                  decodeHost(v.BornHost),
		StoreTimestamp:            v.StoreTimestamp,
		StoreHost:                 decodeHost(v.StoreHost),
		ReconsumeTimes:            v.ReconsumeTimes,
		PreparedTransactionOffset: v.PreparedTransactionOffset,
		Body:                      v.Body,
	}
}

// DecodeAll decodes back-to-back records such as a pull response body. It
// fails on the first malformed record, returning those decoded before it.
func DecodeAll(b []byte) ([]*Ext, error) {
	var out []*Ext
	for off := 0; off < len(b); {
		m, n, err := DecodeStored(b[off:])
		if err != nil {
			return out, fmt.Errorf("record at byte %d: %w", off, err)
		}
		out = append(out, m)
		off += n
	}
	return out, nil
}
