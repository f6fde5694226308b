package remoting

import "sync"

// maxPooledExt bounds the maps kept for reuse: clearing a map costs in
// proportion to its capacity, and one huge header should not make every
// later request pay for it.
const maxPooledExt = 64

// maxPooledFields bounds the Fields lists kept for reuse, for the same
// reason.
const maxPooledFields = 64

// minPooledFields is the room a new pooled Fields list gets: enough for
// the headers of sends and pulls, so one list serves every request.
const minPooledFields = 16

// extPool recycles the ExtFields maps and the Fields lists of decoded
// requests. A map or list goes back only after its request was served by a
// handler of a route marked with ReuseHeaders (or registered with
// RegisterTransient) that returned a response, and only once that response
// was encoded (a response may carry the request's map): at that point
// nothing can reach them any more. Those of all other requests are left to
// the garbage collector. The strings in a map or list are never reused,
// only the map or list, so a handler may keep any key or value.
//
// A nil *extPool makes fresh maps and lists and keeps nothing (the client
// side).
type extPool struct {
	p sync.Pool // map[string]string
	f sync.Pool // *[]ExtField, each at its full capacity
}

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

// getFields returns an empty list with room for n fields and the box it
// came from (nil when it is not pooled), to be kept in Command.fieldsBox so
// that release can give the list back.
func (p *extPool) getFields(n int) ([]ExtField, *[]ExtField) {
	if p == nil || n > maxPooledFields {
		return make([]ExtField, 0, n), nil
	}
	if box, ok := p.f.Get().(*[]ExtField); ok && cap(*box) >= n {
		return (*box)[:0], box
	}
	fs := make([]ExtField, 0, max(n, minPooledFields))
	return fs, &fs
}

// release keeps req's map and Fields list for reuse and removes them from
// req.
func (p *extPool) release(req *Command) {
	if p == nil {
		return
	}
	p.put(req.ExtFields)
	req.ExtFields = nil
	if box := req.fieldsBox; box != nil {
		// Cleared at full capacity: a pooled list must not keep the
		// strings of old headers from the garbage collector.
		clear((*box)[:cap(*box)])
		p.f.Put(box)
		req.fieldsBox, req.Fields = nil, nil
	}
}
