package meta

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Upstream brokers write their config files with fastjson, which puts integer
// map keys on the wire without quotes ({0:12}). encoding/json rejects that,
// so the loaders first pass the text through quoteIntKeys.

// quoteIntKeys returns b with every unquoted numeric object key wrapped in
// quotes. It returns b itself when there is nothing to change. It does not
// validate: malformed input is left for the JSON decoder to reject.
func quoteIntKeys(b []byte) []byte {
	var (
		out       []byte // nil until the first change
		last      int    // b[last:] not yet copied to out
		stack     []byte // open containers: '{' or '['
		expectKey bool   // the next token in the current object is a key
	)
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			i = skipString(b, i)
			expectKey = false
		case '{':
			stack = append(stack, '{')
			expectKey = true
		case '[':
			stack = append(stack, '[')
			expectKey = false
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			expectKey = false
		case ',':
			expectKey = len(stack) > 0 && stack[len(stack)-1] == '{'
		case ':':
			expectKey = false
		default:
			if !expectKey || !(c == '-' || (c >= '0' && c <= '9')) {
				continue
			}
			j := i + 1
			for j < len(b) && isNumberByte(b[j]) {
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

// skipString returns the index of the quote closing the string that starts at
// b[i], or len(b)-1 if it is unterminated.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return len(b) - 1
}

func isNumberByte(c byte) bool {
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// unmarshalLenient decodes fastjson output into v.
func unmarshalLenient(b []byte, v any) error {
	return json.Unmarshal(quoteIntKeys(b), v)
}

// lenientInt64 decodes a JSON number, a string holding a number, or null
// (as 0): fastjson accepts all three for numeric members.
type lenientInt64 int64

func (n *lenientInt64) UnmarshalJSON(b []byte) error {
	v, err := parseLenientInt(b, 64)
	*n = lenientInt64(v)
	return err
}

// lenientInt32 is lenientInt64 for 32-bit members.
type lenientInt32 int32

func (n *lenientInt32) UnmarshalJSON(b []byte) error {
	v, err := parseLenientInt(b, 32)
	*n = lenientInt32(v)
	return err
}

func parseLenientInt(b []byte, bits int) (int64, error) {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return 0, nil
	}
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		b = bytes.TrimSpace(b[1 : len(b)-1])
	}
	v, err := strconv.ParseInt(string(b), 10, bits)
	if err != nil {
		return 0, fmt.Errorf("integer member: %w", err)
	}
	return v, nil
}

// lenientBool decodes true/false, their string forms, or null (as false).
type lenientBool bool

func (v *lenientBool) UnmarshalJSON(b []byte) error {
	switch string(bytes.TrimSpace(b)) {
	case "true", `"true"`:
		*v = true
	case "false", `"false"`, "null", `""`:
		*v = false
	default:
		return fmt.Errorf("boolean member: unexpected %.20q", b)
	}
	return nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string literal. Control characters
// are escaped as \u00XX and invalid UTF-8 becomes U+FFFD, so the output is
// always valid JSON (strconv.Quote's \x and \a escapes are not).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
