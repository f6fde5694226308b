package namesrv

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// quoteBareKeys rewrites fastjson's unquoted object keys ({0:"a"}, written for
// maps with numeric keys) into quoted ones so that encoding/json accepts the
// text. Everything else, including the contents of strings, is copied
// unchanged. Input that is not JSON stays not JSON; the decoder reports it.
func quoteBareKeys(in []byte) []byte {
	// Fast path: most bodies have no bare key at all.
	if !hasBareKey(in) {
		return in
	}
	out := make([]byte, 0, len(in)+16)
	var stack []byte
	expectKey := false
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch c {
		case '"':
			j := skipString(in, i)
			out = append(out, in[i:j]...)
			i = j - 1
			expectKey = false
			continue
		case '{':
			stack = append(stack, c)
			expectKey = true
		case '[':
			stack = append(stack, c)
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
		case ' ', '\t', '\r', '\n':
		default:
			if expectKey {
				j := i
				for j < len(in) && !endsBareKey(in[j]) {
					j++
				}
				out = append(out, '"')
				out = append(out, in[i:j]...)
				out = append(out, '"')
				i = j - 1
				expectKey = false
				continue
			}
		}
		out = append(out, c)
	}
	return out
}

// hasBareKey reports whether in contains an object key that is not a string:
// a '{' or ',' followed (after blanks) by something other than '"', '}' ,
// or a JSON value start that can only appear in arrays.
func hasBareKey(in []byte) bool {
	var stack []byte
	expectKey := false
	for i := 0; i < len(in); i++ {
		switch c := in[i]; c {
		case '"':
			i = skipString(in, i) - 1
			expectKey = false
		case '{':
			stack = append(stack, c)
			expectKey = true
		case '[':
			stack = append(stack, c)
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
		case ' ', '\t', '\r', '\n':
		default:
			if expectKey {
				return true
			}
		}
	}
	return false
}

func endsBareKey(c byte) bool {
	switch c {
	case ':', ',', '{', '}', '[', ']', '"', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

// skipString returns the index just past the JSON string starting at in[i]
// (which is '"'), or len(in) if it is unterminated.
func skipString(in []byte, i int) int {
	for j := i + 1; j < len(in); j++ {
		switch in[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(in)
}

// decodeLenient decodes fastjson text into v: bare keys are quoted first,
// unknown members are ignored.
func decodeLenient(data []byte, v any) error {
	return json.Unmarshal(quoteBareKeys(data), v)
}

// flexInt decodes a JSON number or a string holding one, as fastjson does
// for numeric members.
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if len(s) >= 2 && s[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		// fastjson accepts 3.0 for an int member; so do we.
		fv, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return fmt.Errorf("not an integer: %s", b)
		}
		v = int64(fv)
	}
	*f = flexInt(v)
	return nil
}

// flexBool decodes true/false, also when quoted.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "true", `"true"`:
		*f = true
	case "false", `"false"`, "null", `""`:
		*f = false
	default:
		return fmt.Errorf("not a boolean: %s", b)
	}
	return nil
}
