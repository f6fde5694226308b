package message

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestOffsetMsgID(t *testing.T) {
	tests := []struct {
		host string
		off  int64
		id   string
	}{
		{"10.0.0.2:10911", 0x100, "0A00000200002A9F0000000000000100"},
		{"127.0.0.1:10911", 1 << 40, "7F00000100002A9F0000010000000000"},
		{"[fe80::2]:1", -1, "FE800000000000000000000000000002" + "00000001" + "FFFFFFFFFFFFFFFF"},
	}
	for _, tc := range tests {
		h := netip.MustParseAddrPort(tc.host)
		if got := OffsetMsgID(h, tc.off); got != tc.id {
			t.Errorf("OffsetMsgID(%s, %d) = %s, want %s", tc.host, tc.off, got, tc.id)
		}
		gh, goff, err := ParseOffsetMsgID(tc.id)
		if err != nil || gh != h || goff != tc.off {
			t.Errorf("ParseOffsetMsgID(%s) = %s %d %v", tc.id, gh, goff, err)
		}
	}
	for _, bad := range []string{"", "0A", "0A00000200002A9F000000000000010", "ZZ00000200002A9F0000000000000100", "0A000002FFFFFFFF0000000000000100"} {
		if _, _, err := ParseOffsetMsgID(bad); !errors.Is(err, ErrBadMsgID) {
			t.Errorf("ParseOffsetMsgID(%q) err = %v", bad, err)
		}
	}
	// Lower case is accepted.
	if _, off, err := ParseOffsetMsgID("0a00000200002a9f00000000000001ff"); err != nil || off != 0x1ff {
		t.Errorf("lower case: %d %v", off, err)
	}
}

func TestUniqIDGenerator(t *testing.T) {
	now := time.Date(2024, 3, 5, 0, 0, 1, 500e6, time.UTC)
	g := NewUniqIDGenerator(netip.MustParseAddr("192.168.0.1"), 0x1234, 0x0A0B0C0D)
	g.Now = func() time.Time { return now }
	// 4 days and 1.5 s after 2024-03-01 00:00 = 345 601 500 ms = 0x149975DC.
	for i, want := range []string{
		"C0A80001" + "1234" + "0A0B0C0D" + "149975DC" + "0000",
		"C0A80001" + "1234" + "0A0B0C0D" + "149975DC" + "0001",
	} {
		if got := g.Next(); got != want {
			t.Fatalf("id %d = %s, want %s", i, got, want)
		}
	}
	// A new month restarts the millisecond count.
	now = time.Date(2024, 4, 1, 0, 0, 0, 2e6, time.UTC)
	if got, want := g.Next(), "C0A8000112340A0B0C0D"+"00000002"+"0002"; got != want {
		t.Fatalf("after month change %s, want %s", got, want)
	}
	g6 := NewUniqIDGenerator(netip.MustParseAddr("::1"), 1, 0)
	if id := g6.Next(); len(id) != 56 {
		t.Fatalf("IPv6 id %s has %d characters", id, len(id))
	}
	if id := NewUniqIDGenerator(netip.Addr{}, 1, 0).Next(); len(id) != 32 {
		t.Fatalf("no-IP id %s", id)
	}
}

func TestJavaHashCode(t *testing.T) {
	tests := []struct {
		s    string
		want int32
	}{
		{"", 0},
		{"hello", 99162322},
		{"Aa", 2112},
		{"BB", 2112},
		{"polygenelubricants", -2147483648},
		{"\U0001F600", 1772899}, // surrogate pair D83D DE00
		{"é", 233},
		{"TagA", 2598919},
	}
	for _, tc := range tests {
		if got := JavaHashCode(tc.s); got != tc.want {
			t.Errorf("JavaHashCode(%q) = %d, want %d", tc.s, got, tc.want)
		}
		if got := javaHashCodeBytes([]byte(tc.s)); got != tc.want {
			t.Errorf("javaHashCodeBytes(%q) = %d", tc.s, got)
		}
	}
	if TagsCode("") != 0 || TagsCode("polygenelubricants") != -2147483648 {
		t.Fatal("TagsCode")
	}
}

func TestMessageHelpers(t *testing.T) {
	m := &Message{Topic: "T"}
	m.SetProperty(PropertyKeys, " a  b ")
	m.SetProperty(PropertyTags, "x")
	if m.Tags() != "x" || len(m.Keys()) != 2 || m.Keys()[1] != "b" {
		t.Fatalf("tags %q keys %q", m.Tags(), m.Keys())
	}
	m.SetProperty(PropertyTags, "")
	if _, ok := m.Properties[PropertyTags]; ok {
		t.Fatal("empty value kept")
	}
	e := &Ext{StoreHost: netip.MustParseAddrPort("10.0.0.2:10911"), CommitLogOffset: 0x100, RawProperties: "TAGS\x01t\x02"}
	if e.MsgID() != "0A00000200002A9F0000000000000100" || e.Tags() != "t" {
		t.Fatalf("MsgID %s tags %s", e.MsgID(), e.Tags())
	}
	if TransactionType(0x30|TransactionRollbackType) != TransactionRollbackType || WithTransactionType(0x31|TransactionPreparedType, TransactionCommitType) != 0x31|TransactionCommitType {
		t.Fatal("transaction type helpers")
	}
}

// TestUniqIDBlock checks that a block of ids has Next's layout, that each
// id sits at its documented offset, and that all ids are new.
func TestUniqIDBlock(t *testing.T) {
	for _, ip := range []netip.Addr{netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("fe80::1"), {}} {
		t.Run(ip.String(), func(t *testing.T) {
			g := NewUniqIDGenerator(ip, 4242, 77)
			ref := g.Next()
			fixed := len(ref) - 12
			seen := map[string]bool{ref: true}
			for _, n := range []int{1, 3, 64} {
				joined := g.Block(n, time.Now())
				ids := strings.Split(joined, ",")
				if len(ids) != n {
					t.Fatalf("Block(%d) gave %d ids: %q", n, len(ids), joined)
				}
				for i, id := range ids {
					if len(id) != g.IDLen() || len(id) != len(ref) {
						t.Fatalf("id %q has length %d, want %d like %q", id, len(id), len(ref), ref)
					}
					if id != joined[i*(g.IDLen()+1):][:g.IDLen()] {
						t.Fatalf("id %d is not at its documented offset in %q", i, joined)
					}
					if id[:fixed] != ref[:fixed] {
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

func BenchmarkUniqIDBlock(b *testing.B) {
	g := NewUniqIDGenerator(netip.MustParseAddr("10.1.2.3"), 4242, 77)
	for _, n := range []int{1, 64} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				g.Block(n, time.Now())
			}
		})
	}
}

// TestUniqIDMonthOffsets checks the millisecond part against Java's
// definition (milliseconds since the start of the month in local time) as
// the clock moves forward across months and back again.
func TestUniqIDMonthOffsets(t *testing.T) {
	loc := time.FixedZone("UTC+8", 8*3600)
	g := NewUniqIDGenerator(netip.MustParseAddr("10.0.0.1"), 1, 2)
	for i, at := range []time.Time{
		time.Date(2024, 1, 31, 23, 59, 59, 999e6, loc),
		time.Date(2024, 2, 1, 0, 0, 0, 0, loc),
		time.Date(2024, 2, 29, 12, 0, 0, 123456789, loc),
		time.Date(2024, 1, 15, 0, 0, 0, 1e6, loc), // the clock went back
		time.Date(2024, 3, 1, 0, 0, 0, 999999, loc),
	} {
		start := time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, loc)
		want := fmt.Sprintf("%08X", uint32(at.Sub(start).Milliseconds()))
		id := g.Block(1, at)
		if got := id[len(id)-12 : len(id)-4]; got != want {
			t.Errorf("time %d (%s): millisecond part %s, want %s", i, at, got, want)
		}
		if got, wantCtr := id[len(id)-4:], fmt.Sprintf("%04X", i); got != wantCtr {
			t.Errorf("time %d: counter %s, want %s", i, got, wantCtr)
		}
	}
}
