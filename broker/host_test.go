package broker

import (
	"errors"
	"net/netip"
	"testing"
)

func TestAnnounceAddr(t *testing.T) {
	addrs := func(s ...string) func() ([]netip.Addr, error) {
		return func() ([]netip.Addr, error) {
			var out []netip.Addr
			for _, a := range s {
				out = append(out, netip.MustParseAddr(a))
			}
			return out, nil
		}
	}
	tests := []struct {
		name         string
		ip1, listen  string
		ifaces       func() ([]netip.Addr, error)
		want         string
		wantLoopback bool
		wantErr      bool
	}{
		{name: "brokerIP1 wins", ip1: "10.1.2.3", listen: "127.0.0.1", ifaces: addrs("192.168.0.9"), want: "10.1.2.3"},
		{name: "specific listen address", listen: "127.0.0.1", ifaces: addrs("192.168.0.9"), want: "127.0.0.1"},
		{name: "wildcard listen detects", listen: "0.0.0.0", ifaces: addrs("fe80::1", "192.168.0.9"), want: "192.168.0.9"},
		{name: "ipv4 preferred over ipv6", ifaces: addrs("2001:db8::1", "10.0.0.7"), want: "10.0.0.7"},
		{name: "link-local v4 over v6", ifaces: addrs("2001:db8::1", "169.254.3.4"), want: "169.254.3.4"},
		{name: "loopback skipped", ifaces: addrs("127.0.0.1", "::1", "172.17.0.2"), want: "172.17.0.2"},
		{name: "only loopback falls back", ifaces: addrs("127.0.0.1"), want: "127.0.0.1", wantLoopback: true},
		{name: "bad brokerIP1", ip1: "nope", ifaces: addrs(), wantErr: true},
		{name: "interface error", ifaces: func() ([]netip.Addr, error) { return nil, errors.New("boom") }, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, loop, err := announceAddr(tt.ip1, tt.listen, tt.ifaces)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("want an error, got %v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want || loop != tt.wantLoopback {
				t.Errorf("announceAddr = %v (fallback %v), want %v (fallback %v)", got, loop, tt.want, tt.wantLoopback)
			}
		})
	}
}
