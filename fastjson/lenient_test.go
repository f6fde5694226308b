package fastjson

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestLenientInts(t *testing.T) {
	tests := []struct {
		in      string
		want64  int64
		want32  int32
		fails32 bool // valid for 64 bits only
	}{
		{`12`, 12, 12, false},
		{`"-7"`, -7, -7, false},
		{`" 8 "`, 8, 8, false},
		{`"\u0039"`, 9, 9, false},
		{`3.0`, 3, 3, false},
		{`-2.9`, -2, -2, false},
		{`1e3`, 1000, 1000, false},
		{`null`, 0, 0, false},
		{`"1700000000000000000"`, 1700000000000000000, 0, true},
		{`2147483648`, 2147483648, 0, true},
	}
	for _, tc := range tests {
		var n64 LenientInt64
		if err := json.Unmarshal([]byte(tc.in), &n64); err != nil || int64(n64) != tc.want64 {
			t.Errorf("LenientInt64 %s = %d, %v; want %d", tc.in, n64, err, tc.want64)
		}
		var n32 LenientInt32
		err := json.Unmarshal([]byte(tc.in), &n32)
		switch {
		case tc.fails32 && err == nil:
			t.Errorf("LenientInt32 %s = %d, want an error", tc.in, n32)
		case !tc.fails32 && (err != nil || int32(n32) != tc.want32):
			t.Errorf("LenientInt32 %s = %d, %v; want %d", tc.in, n32, err, tc.want32)
		}
	}
}

func TestLenientIntErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{`"x"`, "not an integer"},
		{`true`, "not an integer"},
		{`""`, "not an integer"},
		{`{}`, "not an integer"},
		{`"NaN"`, "not an integer"},
		{`"Infinity"`, "not an integer"},
		{`1e30`, "out of 64-bit range"},
		{`1e400`, "out of 64-bit range"},
		{`"99999999999999999999"`, "out of 64-bit range"},
	}
	for _, tc := range tests {
		var n LenientInt64
		err := json.Unmarshal([]byte(tc.in), &n)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LenientInt64 %s: err = %v, want one containing %q", tc.in, err, tc.want)
		}
	}
}

func TestLenientBool(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{`true`, true}, {`"true"`, true}, {`false`, false}, {`"false"`, false}, {`null`, false}, {`""`, false},
	}
	for _, tc := range tests {
		v := LenientBool(!tc.want)
		if err := json.Unmarshal([]byte(tc.in), &v); err != nil || bool(v) != tc.want {
			t.Errorf("LenientBool %s = %v, %v; want %v", tc.in, v, err, tc.want)
		}
	}
	for _, in := range []string{`1`, `"yes"`, `[]`} {
		var v LenientBool
		if err := json.Unmarshal([]byte(in), &v); err == nil {
			t.Errorf("LenientBool %s decoded without error", in)
		}
	}
}

func TestLenientMembers(t *testing.T) {
	var w struct {
		A LenientInt64 `json:"a"`
		B LenientInt32 `json:"b"`
		C LenientInt64 `json:"c"`
		D LenientBool  `json:"d"`
		E LenientBool  `json:"e"`
	}
	w.C = 5 // null overwrites, as in the broker's files
	if err := Unmarshal([]byte(`{"a":"1700000000000000000","b":7,"c":null,"d":"true","e":true}`), &w); err != nil {
		t.Fatal(err)
	}
	if w.A != 1700000000000000000 || w.B != 7 || w.C != 0 || !w.D || !w.E {
		t.Errorf("got %+v", w)
	}
}
