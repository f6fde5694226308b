package broker

import (
	"fmt"
	"strconv"
	"strings"
)

// extReader reads custom-header fields from a request's extFields and
// remembers the first problem, so a handler can read all its fields and check
// once. Field names may have an alternative (the short V2 send names).
type extReader struct {
	ext map[string]string
	err error
}

// str returns the first present field of names, or "".
func (r *extReader) str(names ...string) string {
	for _, n := range names {
		if v, ok := r.ext[n]; ok {
			return v
		}
	}
	return ""
}

// has reports whether any of names is present.
func (r *extReader) has(names ...string) bool {
	for _, n := range names {
		if _, ok := r.ext[n]; ok {
			return true
		}
	}
	return false
}

// required returns the first present field of names and records an error
// when none is present or it is empty.
func (r *extReader) required(names ...string) string {
	v := r.str(names...)
	if v == "" && r.err == nil {
		r.err = fmt.Errorf("the custom field <%s> is null", names[0])
	}
	return v
}

func (r *extReader) int32(required bool, names ...string) int32 {
	return int32(r.int(32, required, names...))
}

func (r *extReader) int64(required bool, names ...string) int64 {
	return r.int(64, required, names...)
}

func (r *extReader) int(bits int, required bool, names ...string) int64 {
	var v string
	if required {
		v = r.required(names...)
	} else {
		v = r.str(names...)
	}
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, bits)
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("the custom field <%s> is not a %d-bit integer: %q", names[0], bits, v)
	}
	return n
}

// bool parses a field as Java's Boolean.parseBoolean does: only "true"
// (any case) is true.
func (r *extReader) bool(names ...string) bool {
	return strings.EqualFold(r.str(names...), "true")
}
