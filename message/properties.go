package message

import (
	"slices"
	"strings"
)

// Separators of the properties string: name U+0001 value U+0002.
const (
	NameValueSeparator = '\x01'
	PropertySeparator  = '\x02'
)

// MaxPropertiesLength is the largest encoded properties string a stored record
// can hold: its length is an int16.
const MaxPropertiesLength = 32767

// EncodeProperties encodes props as name\x01value\x02 for every pair, keys in
// sorted order so equal maps give equal bytes. Pairs with an empty key or
// value are left out: upstream decoding would drop them anyway. Keys and
// values must not contain \x01 or \x02 (they would corrupt the string).
func EncodeProperties(props map[string]string) string {
	if len(props) == 0 {
		return ""
	}
	return string(AppendProperties(nil, props))
}

// AppendProperties appends the encoding of props (see EncodeProperties) to dst.
func AppendProperties(dst []byte, props map[string]string) []byte {
	switch len(props) {
	case 0:
		return dst
	case 1:
		for k, v := range props {
			return appendProperty(dst, k, v)
		}
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		dst = appendProperty(dst, k, props[k])
	}
	return dst
}

func appendProperty(dst []byte, k, v string) []byte {
	if k == "" || v == "" {
		return dst
	}
	dst = append(dst, k...)
	dst = append(dst, NameValueSeparator)
	dst = append(dst, v...)
	return append(dst, PropertySeparator)
}

// PropertiesLength returns the length of EncodeProperties(props) without
// building it.
func PropertiesLength(props map[string]string) int {
	n := 0
	for k, v := range props {
		if k != "" && v != "" {
			n += len(k) + len(v) + 2
		}
	}
	return n
}

// DecodeProperties decodes a properties string with upstream's rules: split
// on \x02; a segment counts only if it holds \x01 after its first and before
// its last byte; the key is the text before the first \x01, the value all
// after it; later duplicates override earlier ones.
func DecodeProperties(s string) map[string]string {
	m := make(map[string]string, strings.Count(s, "\x02")+1)
	for len(s) > 0 {
		var seg string
		if i := strings.IndexByte(s, PropertySeparator); i >= 0 {
			seg, s = s[:i], s[i+1:]
		} else {
			seg, s = s, ""
		}
		if k, v, ok := splitSegment(seg); ok {
			m[k] = v
		}
	}
	return m
}

// splitSegment applies the per-segment rule of DecodeProperties. Upstream
// counts UTF-16 characters, but since both key and value must be non-empty
// and the separator is one byte, counting bytes gives the same answer.
func splitSegment[T string | []byte](seg T) (k, v T, ok bool) {
	for i := 0; i < len(seg); i++ {
		if seg[i] == NameValueSeparator {
			if i == 0 || i == len(seg)-1 {
				return k, v, false
			}
			return seg[:i], seg[i+1:], true
		}
	}
	return k, v, false
}

// FindProperty returns the value of key in the encoded properties string
// props, with the same result DecodeProperties(props)[key] would give, but
// without allocating.
func FindProperty(props, key string) (string, bool) {
	return findProperty(props, key)
}

// FindPropertyBytes is FindProperty over a byte slice (for example the
// properties of a stored record); the result aliases props.
func FindPropertyBytes(props []byte, key string) ([]byte, bool) {
	return findProperty(props, key)
}

func findProperty[T string | []byte](props T, key string) (val T, found bool) {
	if key == "" {
		return val, false
	}
	// The last valid occurrence wins, as in DecodeProperties.
	for len(props) > 0 {
		end := len(props)
		next := len(props)
		for i := 0; i < len(props); i++ {
			if props[i] == PropertySeparator {
				end, next = i, i+1
				break
			}
		}
		seg := props[:end]
		props = props[next:]
		if len(seg) <= len(key)+1 || seg[len(key)] != NameValueSeparator {
			continue
		}
		if string(seg[:len(key)]) != key {
			continue
		}
		// The key must not itself hold \x01 (then the first \x01 would lie
		// earlier and the key would differ).
		if k, v, ok := splitSegment(seg); ok && len(k) == len(key) {
			val, found = v, true
		}
	}
	return val, found
}
