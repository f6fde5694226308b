package remoting

import "sync"

// maxPooledExt bounds the maps kept for reuse: clearing a map costs in
// proportion to its capacity, and one huge header should not make every
// later request pay for it.
const maxPooledExt = 64

// extPool recycles the ExtFields maps of decoded requests. A map goes back
// only after its request was served by a handler registered with
// RegisterTransient that returned a response, and only once that response
// was encoded (a response may carry the request's map): at that point
// nothing can reach the map any more. Maps of all other requests are left to
// the garbage collector. The strings in a map are never reused, only the
// map, so a handler may keep any key or value.
//
// A nil *extPool makes fresh maps and keeps nothing (the client side).
type extPool struct{ p sync.Pool }

// get returns an empty map for n entries.
func (p *extPool) get(n int) map[string]string {
	if p != nil {
		if m, ok := p.p.Get().(map[string]string); ok {
			return m
		}
	}
	return make(map[string]string, n)
}

// put clears m and keeps it for reuse.
func (p *extPool) put(m map[string]string) {
	if p == nil || m == nil || len(m) > maxPooledExt {
		return
	}
	clear(m)
	p.p.Put(m)
}
