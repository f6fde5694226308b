package broker

import (
	"fmt"
	"net"
	"net/netip"
)

// announceAddr decides the IP address the broker announces to name servers
// and writes as store host into every message. Clients connect to it, so it
// must be reachable from them:
//
//   - brokerIP1 when configured;
//   - the listen address when the broker binds one specific address (even a
//     loopback one: then nobody else can connect anyway);
//   - otherwise the host's primary non-loopback IPv4 address (IPv4 because
//     the Go client decodes only IPv4 offset message ids), falling back to
//     any non-loopback address and, on a host with no other address, to
//     127.0.0.1.
//
// The bool result says whether the fallback to loopback was taken.
func announceAddr(brokerIP1, listenHost string, ifaceAddrs func() ([]netip.Addr, error)) (netip.Addr, bool, error) {
	if brokerIP1 != "" {
		ip, err := netip.ParseAddr(brokerIP1)
		if err != nil {
			return netip.Addr{}, false, fmt.Errorf("brokerIP1 %q: %w", brokerIP1, err)
		}
		return ip.Unmap(), false, nil
	}
	if listenHost != "" {
		ip, err := netip.ParseAddr(listenHost)
		if err != nil {
			return netip.Addr{}, false, fmt.Errorf("listenHost %q: %w", listenHost, err)
		}
		if !ip.IsUnspecified() {
			return ip.Unmap(), false, nil
		}
	}
	addrs, err := ifaceAddrs()
	if err != nil {
		return netip.Addr{}, false, fmt.Errorf("list interface addresses: %w", err)
	}
	if ip, ok := pickAddr(addrs); ok {
		return ip, false, nil
	}
	return netip.AddrFrom4([4]byte{127, 0, 0, 1}), true, nil
}

// pickAddr chooses the best announceable address: a global or private IPv4
// address first, then a link-local IPv4 one, then a global IPv6 one.
func pickAddr(addrs []netip.Addr) (netip.Addr, bool) {
	rank := func(ip netip.Addr) int {
		switch {
		case !ip.IsValid() || ip.IsLoopback() || ip.IsUnspecified() || ip.IsMulticast():
			return 0
		case ip.Is4() && !ip.IsLinkLocalUnicast():
			return 3
		case ip.Is4():
			return 2
		case ip.IsGlobalUnicast() || ip.IsPrivate():
			return 1
		}
		return 0
	}
	var best netip.Addr
	bestRank := 0
	for _, a := range addrs {
		a = a.Unmap()
		if r := rank(a); r > bestRank {
			best, bestRank = a, r
		}
	}
	return best, bestRank > 0
}

// interfaceAddrs lists the addresses of the host's interfaces that are up,
// in interface order.
func interfaceAddrs() ([]netip.Addr, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(ipn.IP); ok {
					out = append(out, ip.Unmap())
				}
			}
		}
	}
	return out, nil
}
