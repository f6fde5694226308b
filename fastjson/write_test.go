package fastjson

import (
	"encoding/json"
	"testing"
)

func TestAppendString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{`quo"te`, `"quo\"te"`},
		{`back\slash`, `"back\\slash"`},
		{"ctl\x00\x01\x1f\n\r\t", `"ctl\u0000\u0001\u001f\n\r\t"`},
		{"\x7f", "\"\x7f\""},
		{"ünï 日本 🎉", `"ünï 日本 🎉"`},
		{"bad\xffutf8", `"bad\ufffdutf8"`},
		{"</script>", `"</script>"`},
	}
	for _, tc := range tests {
		b := AppendString([]byte("x"), tc.in)
		if got := string(b[1:]); got != tc.want || b[0] != 'x' {
			t.Errorf("AppendString(%q) = %s, want %s", tc.in, b, tc.want)
			continue
		}
		var back string
		if err := json.Unmarshal(b[1:], &back); err != nil {
			t.Errorf("AppendString(%q) = %s: invalid JSON: %v", tc.in, b[1:], err)
		} else if want := string([]rune(tc.in)); back != want { // invalid bytes read back as U+FFFD
			t.Errorf("round trip of %q gave %q", tc.in, back)
		}
	}
}

func TestAppendStringAllocs(t *testing.T) {
	dst := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { AppendString(dst[:0], "a\x01b\"c日本\xff") }); n != 0 {
		t.Fatalf("%v allocations with room in dst, want 0", n)
	}
}
