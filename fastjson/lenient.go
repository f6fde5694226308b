package fastjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// LenientInt64 is an int64 member decoded as fastjson decodes one: from a
// JSON number, from a string holding a number ("8", " 8 "), or from null,
// which gives 0. A fraction is dropped (3.0 gives 3); a value out of range
// is an error.
type LenientInt64 int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *LenientInt64) UnmarshalJSON(b []byte) error {
	v, err := lenientInt(b, 64)
	*n = LenientInt64(v)
	return err
}

// LenientInt32 is LenientInt64 for 32-bit members.
type LenientInt32 int32

// UnmarshalJSON implements json.Unmarshaler.
func (n *LenientInt32) UnmarshalJSON(b []byte) error {
	v, err := lenientInt(b, 32)
	*n = LenientInt32(v)
	return err
}

// LenientBool is a bool member decoded from true or false, from their
// string forms "true" and "false", or from null or "", which give false.
type LenientBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (v *LenientBool) UnmarshalJSON(b []byte) error {
	switch string(bytes.TrimSpace(b)) {
	case "true", `"true"`:
		*v = true
	case "false", `"false"`, "null", `""`:
		*v = false
	default:
		return fmt.Errorf("fastjson: boolean member: unexpected %.20q", b)
	}
	return nil
}

// lenientInt decodes the JSON text b of an integer member of the given bit
// size. null gives 0, as fastjson leaves a primitive member at zero; note
// that it also overwrites a default set before decoding.
func lenientInt(b []byte, bits int) (int64, error) {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		return 0, nil
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		if strings.IndexByte(s, '\\') >= 0 {
			if err := json.Unmarshal(b, &s); err != nil {
				return 0, fmt.Errorf("fastjson: not an integer: %.40s", b)
			}
		} else {
			s = s[1 : len(s)-1]
		}
		s = strings.TrimSpace(s)
	}
	v, ok, inRange := parseInt(s, bits)
	switch {
	case !ok:
		return 0, fmt.Errorf("fastjson: not an integer: %.40s", b)
	case !inRange:
		return 0, fmt.Errorf("fastjson: integer out of %d-bit range: %.40s", bits, b)
	}
	return v, nil
}

// parseInt parses the text of a number as a signed integer of the given bit
// size. A number with a fraction or an exponent is truncated toward zero, as
// fastjson does for integer members. ok is false when s is no number;
// inRange is false when it is one but does not fit.
func parseInt(s string, bits int) (v int64, ok, inRange bool) {
	v, err := strconv.ParseInt(s, 10, bits)
	if err == nil {
		return v, true, true
	}
	f, err := strconv.ParseFloat(s, 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, true, false // beyond float64, like 1e400
	case err != nil, math.IsNaN(f), math.IsInf(f, 0): // ParseFloat takes "NaN" and "Inf"
		return 0, false, false
	}
	if limit := float64(uint64(1) << (bits - 1)); f < -limit || f >= limit {
		return 0, true, false
	}
	return int64(f), true, true
}
