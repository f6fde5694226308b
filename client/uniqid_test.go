package client

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/saturnmq/saturn/message"
)

func TestUniqIDsHaveTheLayoutOfTheGenerator(t *testing.T) {
	for _, ip := range []netip.Addr{netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("fe80::1"), {}} {
		t.Run(ip.String(), func(t *testing.T) {
			g := newUniqIDs(ip, 4242, 77)
			ref := message.NewUniqIDGenerator(ip, 4242, 77).Next()
			seen := map[string]bool{}
			for _, n := range []int{1, 3, 64} {
				joined := g.next(n, time.Now())
				ids := strings.Split(joined, ",")
				if len(ids) != n {
					t.Fatalf("next(%d) gave %d ids: %q", n, len(ids), joined)
				}
				for i, id := range ids {
					if len(id) != g.idLen() || len(id) != len(ref) {
						t.Fatalf("id %q has length %d, want %d like %q", id, len(id), len(ref), ref)
					}
					if id != joined[i*(g.idLen()+1):][:g.idLen()] {
						t.Fatalf("id %d is not at its documented offset in %q", i, joined)
					}
					if ip.IsValid() && id[:len(g.prefix)] != ref[:len(g.prefix)] {
						t.Fatalf("id %q has another fixed part than %q", id, ref)
					}
					if strings.ToUpper(id) != id || seen[id] {
						t.Fatalf("id %q is not upper-case or not new", id)
					}
					seen[id] = true
				}
			}
		})
	}
}

func BenchmarkUniqIDs(b *testing.B) {
	g := newUniqIDs(netip.MustParseAddr("10.1.2.3"), 4242, 77)
	for _, n := range []int{1, 64} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				g.next(n, time.Now())
			}
		})
	}
}
