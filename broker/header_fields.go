package broker

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/saturnmq/saturn/remoting"
)

// maxHeaderFields bounds the fields a headerFields collects.
const maxHeaderFields = 32

// headerFields collects the raw values of a request header's known fields
// in one pass over its fields, without a map lookup per field: the hot
// handlers' alternative to extReader. A field may have a long and a short
// name (the V2 send names); the long name wins over the short one whatever
// their order, and among equal names the last one wins, as in the map form.
type headerFields struct {
	names   []string // long names by index, for error messages
	v       [maxHeaderFields]string
	present uint32 // bit i: field i seen under either name
	long    uint32 // bit i: field i seen under its long name
}

// read collects req's fields, from req.Fields (routes registered with
// RegisterFields) or req.ExtFields. index maps a key to its field's index
// and tells whether it is the long name; ok is false for other keys.
func (f *headerFields) read(req *remoting.Command, index func(k string) (i int, long, ok bool)) {
	for _, kv := range req.Fields {
		f.set(index, kv.Key, kv.Value)
	}
	for k, v := range req.ExtFields {
		f.set(index, k, v)
	}
}

func (f *headerFields) set(index func(string) (int, bool, bool), k, v string) {
	i, long, ok := index(k)
	if !ok {
		return
	}
	bit := uint32(1) << i
	if !long && f.long&bit != 0 {
		return
	}
	f.v[i] = v
	f.present |= bit
	if long {
		f.long |= bit
	}
}

// has reports whether field i is present, even if empty.
func (f *headerFields) has(i int) bool { return f.present&(1<<i) != 0 }

// required returns field i, keeping an error in *err (the first problem
// only) when it is missing or empty.
func (f *headerFields) required(i int, err *error) string {
	v := f.v[i]
	if v == "" && *err == nil {
		*err = fmt.Errorf("the custom field <%s> is null", f.names[i])
	}
	return v
}

// int parses field i as upstream does; required fields must be there and
// non-empty. The first problem is kept in *err.
func (f *headerFields) int(i, bits int, required bool, err *error) int64 {
	v := f.v[i]
	if v == "" {
		if required && *err == nil {
			*err = fmt.Errorf("the custom field <%s> is null", f.names[i])
		}
		return 0
	}
	n, perr := strconv.ParseInt(strings.TrimSpace(v), 10, bits)
	if perr != nil && *err == nil {
		*err = fmt.Errorf("the custom field <%s> is not a %d-bit integer: %q", f.names[i], bits, v)
	}
	return n
}
