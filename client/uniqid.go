package client

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// uniqIDs makes the UNIQ_KEYs of a client's messages: ids in the layout of
// message.UniqIDGenerator and the Java client (address, process id, a
// per-process int32, the milliseconds since the start of the month and an
// int16 counter, as upper-case hex), but for a whole batch at once if need
// be, with one clock reading, one lock and one string for all of them.
// Making them one by one (a clock reading, a lock and two allocations each)
// was the largest part of a batch's client CPU after the copies.
type uniqIDs struct {
	prefix []byte // upper-case hex of the fixed part

	mu         sync.Mutex
	monthStart time.Time // guarded by mu
	nextMonth  time.Time // guarded by mu
	counter    uint16    // guarded by mu
}

const upperHex = "0123456789ABCDEF"

func newUniqIDs(ip netip.Addr, pid int, salt int32) *uniqIDs {
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
	return &uniqIDs{prefix: appendHex(nil, fixed)}
}

func appendHex(dst, src []byte) []byte {
	for _, c := range src {
		dst = append(dst, upperHex[c>>4], upperHex[c&0xF])
	}
	return dst
}

// idLen returns the length of one id.
func (g *uniqIDs) idLen() int { return len(g.prefix) + 12 }

// next returns n new ids, made at time t (the caller's current time),
// joined by commas, as SendResult.MsgID lists the ids
// of a batch (a single id for n = 1); id i is joined[i*(idLen()+1):][:idLen()]. At most 65536 ids
// per millisecond are distinct, as with the Java client.
func (g *uniqIDs) next(n int, t time.Time) string {
	g.mu.Lock()
	if g.nextMonth.IsZero() || !t.Before(g.nextMonth) || t.Before(g.monthStart) {
		y, m, _ := t.Date()
		g.monthStart = time.Date(y, m, 1, 0, 0, 0, 0, t.Location())
		g.nextMonth = g.monthStart.AddDate(0, 1, 0)
	}
	diff := uint32(int32(t.Sub(g.monthStart).Milliseconds()))
	c := g.counter
	g.counter += uint16(n)
	g.mu.Unlock()

	// Every id of the block shares all but its last four digits (the
	// counter): write those once, then copy them.
	var fixed [64]byte
	head := append(fixed[:0], g.prefix...)
	for i := range 8 {
		head = append(head, upperHex[diff>>(28-4*i)&0xF])
	}
	var sb strings.Builder
	sb.Grow(n * (len(head) + 5))
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.Write(head)
		v := c + uint16(i)
		ctr := [4]byte{upperHex[v>>12], upperHex[v>>8&0xF], upperHex[v>>4&0xF], upperHex[v&0xF]}
		sb.Write(ctr[:])
	}
	return sb.String()
}
