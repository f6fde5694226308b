package meta

import (
	"encoding/json"
	"testing"
)

func TestQuoteIntKeys(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{}`, `{}`},
		{`{"a":1}`, `{"a":1}`},
		{`{0:12,1:40}`, `{"0":12,"1":40}`},
		{`{"offsetTable":{"T@g":{0:12,1:40},"U@g":{ 3 : 7 }}}`, `{"offsetTable":{"T@g":{"0":12,"1":40},"U@g":{ "3" : 7 }}}`},
		{"{\n\t\"t\":{\n\t\t0:1,\n\t\t-1:2\n\t}\n}", "{\n\t\"t\":{\n\t\t\"0\":1,\n\t\t\"-1\":2\n\t}\n}"},
		{`{"0":1,"1":2}`, `{"0":1,"1":2}`},                       // already quoted
		{`{"a":[1,2,{3:4}],"b":5}`, `{"a":[1,2,{"3":4}],"b":5}`}, // array values untouched
		{`{"s":"{0:1}","k":{7:"x,{8:9}"}}`, `{"s":"{0:1}","k":{"7":"x,{8:9}"}}`},
		{`{"e\"}{":{1:2}}`, `{"e\"}{":{"1":2}}`},
		{`[{1:2},{3:4}]`, `[{"1":2},{"3":4}]`},
	}
	for _, tt := range tests {
		got := string(quoteIntKeys([]byte(tt.in)))
		if got != tt.want {
			t.Errorf("quoteIntKeys(%s) = %s, want %s", tt.in, got, tt.want)
		}
		if !json.Valid([]byte(got)) {
			t.Errorf("quoteIntKeys(%s) is not valid JSON: %s", tt.in, got)
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `quo"te`, `back\slash`, "ctl\x00\x01\x1f\n\r\t", "ünï 日本 🎉", "bad\xffutf8", "</script>"} {
		b := appendJSONString(nil, s)
		if !json.Valid(b) {
			t.Errorf("appendJSONString(%q) = %s: invalid JSON", s, b)
			continue
		}
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		want := string([]rune(s)) // invalid bytes become U+FFFD
		if back != want {
			t.Errorf("round trip of %q gave %q", s, back)
		}
	}
}

func TestLenientNumbers(t *testing.T) {
	var w struct {
		A lenientInt64 `json:"a"`
		B lenientInt32 `json:"b"`
		C lenientInt64 `json:"c"`
		D lenientBool  `json:"d"`
		E lenientBool  `json:"e"`
	}
	if err := json.Unmarshal([]byte(`{"a":"1700000000000000000","b":7,"c":null,"d":"true","e":true}`), &w); err != nil {
		t.Fatal(err)
	}
	if w.A != 1700000000000000000 || w.B != 7 || w.C != 0 || !w.D || !w.E {
		t.Errorf("got %+v", w)
	}
	if err := json.Unmarshal([]byte(`{"b":"x"}`), &w); err == nil {
		t.Error("non-numeric string accepted")
	}
}
