package fastjson

import "encoding/json"

// QuoteBareKeys returns b with every unquoted object key put in quotes, so
// that encoding/json accepts the text: {0:"a",-1:"b"} becomes
// {"0":"a","-1":"b"}. A bare key is the run of bytes from the key's first
// byte up to the next ':', ',', bracket, quote or blank. The contents of
// strings are never changed, and object keys ({{...}:1}) are left as they
// are.
//
// When there is nothing to quote, QuoteBareKeys returns b itself and
// allocates nothing (the common case: most bodies have no bare key).
// Otherwise it returns a new slice; b is never modified. It does not
// validate: text that is not JSON stays not JSON, for the decoder to reject.
func QuoteBareKeys(b []byte) []byte {
	var (
		out   []byte // nil until the first change
		last  int    // b[last:] is not yet copied to out
		open  [32]byte
		stack = open[:0] // open containers, '{' or '['; on the stack unless deeper than 32
		// expectKey: the next token starts a member of the innermost
		// object, that is we are just after its '{' or a ','.
		expectKey bool
	)
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			i = stringEnd(b, i) - 1
			expectKey = false
		case '{', '[':
			stack = append(stack, c)
			expectKey = c == '{'
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			expectKey = false
		case ',':
			expectKey = len(stack) > 0 && stack[len(stack)-1] == '{'
		case ':':
			expectKey = false
		case ' ', '\t', '\r', '\n':
		default:
			if !expectKey {
				continue
			}
			j := i + 1
			for j < len(b) && !endsBareKey(b[j]) {
				j++
			}
			if out == nil {
				out = make([]byte, 0, len(b)+len(b)/8)
			}
			out = append(out, b[last:i]...)
			out = append(out, '"')
			out = append(out, b[i:j]...)
			out = append(out, '"')
			last = j
			i = j - 1
			expectKey = false
		}
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

func endsBareKey(c byte) bool {
	switch c {
	case ':', ',', '{', '}', '[', ']', '"', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

// stringEnd returns the index just past the JSON string that starts with
// the quote at b[i], or len(b) if the string is not terminated.
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// Unmarshal decodes fastjson text into v with encoding/json, after quoting
// bare keys. Members v does not name are ignored, as encoding/json does.
func Unmarshal(data []byte, v any) error {
	return json.Unmarshal(QuoteBareKeys(data), v)
}
