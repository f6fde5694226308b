package message

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"
)

const upperHex = "0123456789ABCDEF"

func appendUpperHex(dst, src []byte) []byte {
	for _, c := range src {
		dst = append(dst, upperHex[c>>4], upperHex[c&0xF])
	}
	return dst
}

// ErrBadMsgID: a message id does not have the offset message id form.
var ErrBadMsgID = errors.New("message: bad offset message id")

// OffsetMsgID returns the offset message id of a record: store host address
// (4 or 16 bytes), port (int32) and commit-log offset (int64) as upper-case
// hex, 32 characters for IPv4 and 56 for IPv6. rocketmq-client-go v2.1.2
// decodes only the IPv4 form.
func OffsetMsgID(storeHost netip.AddrPort, physOffset int64) string {
	var out [56]byte
	return string(AppendOffsetMsgID(out[:0], storeHost, physOffset))
}

// AppendOffsetMsgID appends the offset message id (see OffsetMsgID) to dst,
// so that callers can build it together with other strings in one
// allocation.
func AppendOffsetMsgID(dst []byte, storeHost netip.AddrPort, physOffset int64) []byte {
	var raw [28]byte
	var b []byte
	ad := storeHost.Addr()
	if isV6(storeHost) {
		a := ad.As16()
		b = append(raw[:0], a[:]...)
	} else {
		var a [4]byte
		if ad.IsValid() {
			a = ad.Unmap().As4()
		}
		b = append(raw[:0], a[:]...)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(storeHost.Port()))
	b = binary.BigEndian.AppendUint64(b, uint64(physOffset))
	return appendUpperHex(dst, b)
}

// ParseOffsetMsgID decodes an offset message id of 32 (IPv4) or 56 (IPv6)
// hex characters of either case into the store host and commit-log offset.
func ParseOffsetMsgID(id string) (netip.AddrPort, int64, error) {
	var raw [28]byte
	n := len(id) / 2
	if len(id) != 32 && len(id) != 56 {
		return netip.AddrPort{}, 0, fmt.Errorf("%w: length %d", ErrBadMsgID, len(id))
	}
	for i := 0; i < n; i++ {
		hi, ok1 := unhex(id[2*i])
		lo, ok2 := unhex(id[2*i+1])
		if !ok1 || !ok2 {
			return netip.AddrPort{}, 0, fmt.Errorf("%w: not hex: %q", ErrBadMsgID, id)
		}
		raw[i] = hi<<4 | lo
	}
	al := n - 12
	var addr netip.Addr
	if al == 16 {
		addr = netip.AddrFrom16([16]byte(raw[:16]))
	} else {
		addr = netip.AddrFrom4([4]byte(raw[:4]))
	}
	port := binary.BigEndian.Uint32(raw[al:])
	if port > 0xFFFF {
		return netip.AddrPort{}, 0, fmt.Errorf("%w: port %d", ErrBadMsgID, port)
	}
	off := int64(binary.BigEndian.Uint64(raw[al+4:]))
	return netip.AddrPortFrom(addr, uint16(port)), off, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// UniqIDGenerator makes UNIQ_KEY values in the layout of the Java client:
// address (4 or 16 bytes), process id (int16), a per-process int32 (the Java
// class-loader hash code), milliseconds since the start of the current month
// in local time (int32) and a wrapping int16 counter, all as upper-case hex.
// The first three parts are fixed when the generator is made. It is safe for
// concurrent use.
type UniqIDGenerator struct {
	// Now returns the current time; nil means time.Now. Set it before the
	// first call to Next.
	Now func() time.Time

	mu     sync.Mutex
	prefix []byte // upper-case hex of the fixed part
	// The current month as Unix milliseconds [monthStart, nextMonth) in
	// the location of the time that set it; nextMonth == 0 until the
	// first id. Integers rather than time.Time values: comparing and
	// subtracting them is most of an id's cost otherwise.
	monthStart, nextMonth int64
	counter               uint16
}

// NewUniqIDGenerator returns a generator for ids made on the host with
// address ip by process pid, with the per-process value salt. An invalid ip
// is replaced by four bytes derived from the clock, as Java does when it
// finds no address.
func NewUniqIDGenerator(ip netip.Addr, pid int, salt int32) *UniqIDGenerator {
	var fixed []byte
	switch {
	case !ip.IsValid():
		fixed = binary.BigEndian.AppendUint32(nil, uint32(time.Now().UnixMilli()))
	case ip.Is4() || ip.Is4In6():
		a := ip.Unmap().As4()
		fixed = a[:]
	default:
		a := ip.As16()
		fixed = a[:]
	}
	fixed = binary.BigEndian.AppendUint16(fixed, uint16(pid))
	fixed = binary.BigEndian.AppendUint32(fixed, uint32(salt))
	return &UniqIDGenerator{prefix: appendUpperHex(nil, fixed)}
}

// Next returns a new id.
func (g *UniqIDGenerator) Next() string {
	now := time.Now
	if g.Now != nil {
		now = g.Now
	}
	return g.Block(1, now())
}

// IDLen returns the length of one id.
func (g *UniqIDGenerator) IDLen() int { return len(g.prefix) + 12 }

// Block returns n new ids made at time t, joined by commas (as a batch's
// SendResult.MsgID lists them; a single id for n = 1): id i is
// joined[i*(IDLen()+1):][:IDLen()]. One lock, one clock reading (the
// caller's) and one string serve the whole block, which matters for
// batches. At most 65536 ids per millisecond are distinct, as with the Java
// client.
func (g *UniqIDGenerator) Block(n int, t time.Time) string {
	ms := t.UnixMilli()
	g.mu.Lock()
	if g.nextMonth == 0 || ms >= g.nextMonth || ms < g.monthStart {
		y, m, _ := t.Date()
		start := time.Date(y, m, 1, 0, 0, 0, 0, t.Location())
		g.monthStart = start.UnixMilli()
		g.nextMonth = start.AddDate(0, 1, 0).UnixMilli()
	}
	// Month starts are whole seconds, so this equals Java's
	// currentTimeMillis() - startTime, truncated to int32 as Java does.
	diff := uint32(int32(ms - g.monthStart))
	c := g.counter
	g.counter += uint16(n)
	g.mu.Unlock()

	// Every id of the block shares all but its last four digits (the
	// counter): write those once, then copy them.
	var fixed [64]byte
	head := append(fixed[:0], g.prefix...)
	head = appendHex32(head, diff)
	if n == 1 {
		// The common case, single sends: one id, one allocation.
		return string(appendHex16(head, c))
	}
	var sb strings.Builder
	sb.Grow(n * (len(head) + 5))
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.Write(head)
		var ctr [4]byte
		sb.Write(appendHex16(ctr[:0], c+uint16(i)))
	}
	return sb.String()
}

// appendHex32 appends v as 8 upper-case hex digits.
func appendHex32(dst []byte, v uint32) []byte {
	return append(dst,
		upperHex[v>>28], upperHex[v>>24&0xF], upperHex[v>>20&0xF], upperHex[v>>16&0xF],
		upperHex[v>>12&0xF], upperHex[v>>8&0xF], upperHex[v>>4&0xF], upperHex[v&0xF])
}

// appendHex16 appends v as 4 upper-case hex digits.
func appendHex16(dst []byte, v uint16) []byte {
	return append(dst, upperHex[v>>12], upperHex[v>>8&0xF], upperHex[v>>4&0xF], upperHex[v&0xF])
}
