package fastjson

import (
	"errors"
	"testing"
)

func TestParseForms(t *testing.T) {
	tests := []struct {
		name string
		in   string
		path []string // member names to follow
		want string   // Str() of the value reached
	}{
		{"standard", `{"a":{"b":"c"}}`, []string{"a", "b"}, "c"},
		{"unquoted numeric key", `{"brokerAddrs":{0:"10.0.0.1:10911",1:"x:1"}}`, []string{"brokerAddrs", "1"}, "x:1"},
		{"quoted numeric key", `{"brokerAddrs":{"0":"10.0.0.1:10911"}}`, []string{"brokerAddrs", "0"}, "10.0.0.1:10911"},
		{"unquoted field name", `{topic:"T"}`, []string{"topic"}, "T"},
		{"escapes", `{"s":"a\u0001b\"\\\/\n\ud83d\ude00"}`, []string{"s"}, "a\x01b\"\\/\n\U0001F600"},
		{"number", `{"n":-12.5e3}`, []string{"n"}, "-12.5e3"},
		{"white space", " { \"a\" : [ 1 , 2 ] } ", []string{"a"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Parse([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range tc.path {
				var ok bool
				if v, ok = v.Get(p); !ok {
					t.Fatalf("member %q missing", p)
				}
			}
			if got := v.Str(); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestObjectKeys(t *testing.T) {
	in := `{"offsetTable":{{"brokerName":"b","queueId":1,"topic":"T"}:{"brokerOffset":10,"consumerOffset":"8"}},"consumeTps":0.0}`
	v, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	ot, _ := v.Get("offsetTable")
	if len(ot.Members) != 1 || ot.Members[0].Key.Kind != Object {
		t.Fatalf("offsetTable = %+v", ot)
	}
	q, _ := ot.Members[0].Key.Get("queueId")
	if n, _ := q.Int(); n != 1 {
		t.Fatalf("queueId = %d", n)
	}
	co, _ := ot.Members[0].Val.Get("consumerOffset")
	if n, _ := co.Int(); n != 8 {
		t.Fatalf("consumerOffset (string form) = %d", n)
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{``, `{`, `{"a"}`, `{"a":1,}`, `[1 2]`, `"abc`, `{"a":1} x`, `@`, `{"s":"\x"}`} {
		if _, err := Parse([]byte(in)); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) error = %v, want ErrSyntax", in, err)
		}
	}
}

func TestDepthLimit(t *testing.T) {
	deep := make([]byte, 0, 200)
	for range 100 {
		deep = append(deep, '[')
	}
	if _, err := Parse(deep); !errors.Is(err, ErrSyntax) {
		t.Fatalf("deep nesting: %v", err)
	}
}

func TestHelpers(t *testing.T) {
	v, err := Parse([]byte(`{"l":["a","b",3],"t":true,"f":"true","x":null}`))
	if err != nil {
		t.Fatal(err)
	}
	l, _ := v.Get("l")
	if got := l.Strings(); len(got) != 3 || got[2] != "3" {
		t.Fatalf("Strings = %v", got)
	}
	tv, _ := v.Get("t")
	fv, _ := v.Get("f")
	if !tv.Truth() || !fv.Truth() {
		t.Fatal("Truth")
	}
	x, _ := v.Get("x")
	if n, err := x.Int(); n != 0 || err != nil {
		t.Fatal("null Int")
	}
	if _, ok := l.Get("a"); ok {
		t.Fatal("Get on array")
	}
}
