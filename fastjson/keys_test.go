package fastjson

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestQuoteBareKeys(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty object", `{}`, `{}`},
		{"nothing to quote", `{"a":1}`, `{"a":1}`},
		{"array only", `[1,2,3]`, `[1,2,3]`},
		{"numeric keys", `{0:12,1:40}`, `{"0":12,"1":40}`},
		{"string values", `{0:"x",1:"y"}`, `{"0":"x","1":"y"}`},
		{"blanks around keys", `{ 0 : "x" , -1:"y"}`, `{ "0" : "x" , "-1":"y"}`},
		{"nested maps", `{"offsetTable":{"T@g":{0:12,1:40},"U@g":{ 3 : 7 }}}`, `{"offsetTable":{"T@g":{"0":12,"1":40},"U@g":{ "3" : 7 }}}`},
		{"new lines and tabs", "{\n\t\"t\":{\n\t\t0:1,\n\t\t-1:2\n\t}\n}", "{\n\t\"t\":{\n\t\t\"0\":1,\n\t\t\"-1\":2\n\t}\n}"},
		{"already quoted", `{"0":1,"1":2}`, `{"0":1,"1":2}`},
		{"array values untouched", `{"a":[1,2,{3:4}],"b":5}`, `{"a":[1,2,{"3":4}],"b":5}`},
		{"maps of maps", `{"m":{0:{1:2}},"s":"{0:1}","l":[1,{2:3}]}`, `{"m":{"0":{"1":2}},"s":"{0:1}","l":[1,{"2":3}]}`},
		{"strings untouched", `{"s":"{0:1}","k":{7:"x,{8:9}"}}`, `{"s":"{0:1}","k":{"7":"x,{8:9}"}}`},
		{"escaped quote in value", `{"esc":"a\"{0:1}"}`, `{"esc":"a\"{0:1}"}`},
		{"escaped quote in key", `{"e\"}{":{1:2}}`, `{"e\"}{":{"1":2}}`},
		{"objects in an array", `[{1:2},{3:4}]`, `[{"1":2},{"3":4}]`},
		{"word keys", `{true:1,topic:"T"}`, `{"true":1,"topic":"T"}`},
		{"object keys left alone", `{{"q":1}:2}`, `{{"q":1}:2}`},
		{"deeper than the fixed stack", deep(40, `{1:2}`), deep(40, `{"1":2}`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(QuoteBareKeys([]byte(tc.in))); got != tc.want {
				t.Errorf("QuoteBareKeys(%s) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

// deep wraps inner in n arrays.
func deep(n int, inner string) string {
	s := inner
	for range n {
		s = "[" + s + "]"
	}
	return s
}

func TestQuoteBareKeysOutputIsJSON(t *testing.T) {
	for _, in := range []string{`{0:12,1:40}`, `{"a":[1,2,{3:4}],"b":5}`, "{\n\t\"t\":{\n\t\t0:1,\n\t\t-1:2\n\t}\n}", `[{1:2},{3:4}]`} {
		if got := QuoteBareKeys([]byte(in)); !json.Valid(got) {
			t.Errorf("QuoteBareKeys(%s) = %s: not valid JSON", in, got)
		}
	}
}

func TestQuoteBareKeysNoChange(t *testing.T) {
	in := []byte(`{"brokerDatas":[{"brokerAddrs":{"0":"10.0.0.1:10911"},"brokerName":"b"}],"s":"{0:1}"}`)
	out := QuoteBareKeys(in)
	if &out[0] != &in[0] || len(out) != len(in) {
		t.Fatal("input without bare keys was copied")
	}
	if n := testing.AllocsPerRun(100, func() { QuoteBareKeys(in) }); n != 0 {
		t.Fatalf("%v allocations for input without bare keys, want 0", n)
	}
	changed := []byte(`{0:"a"}`)
	_ = QuoteBareKeys(changed)
	if string(changed) != `{0:"a"}` {
		t.Fatalf("input modified: %s", changed)
	}
}

func TestUnmarshal(t *testing.T) {
	in := `{"a":{1:"x"},"b":[{"c":{2:{3:"y"}}}]}`
	var got map[string]any
	if err := Unmarshal([]byte(in), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": map[string]any{"1": "x"}, "b": []any{map[string]any{"c": map[string]any{"2": map[string]any{"3": "y"}}}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("have %v, want %v", got, want)
	}
	if err := Unmarshal([]byte(`{0:`), &got); err == nil {
		t.Error("truncated input decoded without error")
	}
}

func BenchmarkQuoteBareKeys(b *testing.B) {
	inputs := []struct{ name, in string }{
		{"none", `{"offsetTable":{"T@g":{"0":12,"1":40},"U@g":{"3":7}},"dataVersion":{"counter":1,"timestamp":1700000000000}}`},
		{"some", `{"offsetTable":{"T@g":{0:12,1:40},"U@g":{3:7}},"dataVersion":{"counter":1,"timestamp":1700000000000}}`},
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			buf := []byte(in.in)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				QuoteBareKeys(buf)
			}
		})
	}
}
