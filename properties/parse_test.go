package properties

import (
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want []Entry
	}{
		{"a=b", []Entry{{"a", "b", 1}}},
		{"a = b c  ", []Entry{{"a", "b c", 1}}},
		{"a:b", []Entry{{"a", "b", 1}}},
		{"a b", []Entry{{"a", "b", 1}}},
		{"a", []Entry{{"a", "", 1}}},
		{"\n# c\n! d\n  x=\\u0041\\t", []Entry{{"x", "A", 4}}},
		{`k\=x=v`, []Entry{{"k=x", "v", 1}}},
		{`k\:x\ y=v`, []Entry{{"k:x y", "v", 1}}},
		{"a=1\\\n  2\nb=3", []Entry{{"a", "12", 1}, {"b", "3", 3}}},
		{"a=x\\\\\nb=y", []Entry{{"a", `x\`, 1}, {"b", "y", 2}}},
		{"a=1\\", []Entry{{"a", "1", 1}}},
		{"a=1\na=2", []Entry{{"a", "1", 1}, {"a", "2", 2}}},
		{"v=\\u00e9t\\u00e9", []Entry{{"v", "été", 1}}},
		{"", nil},
	}
	for _, tt := range tests {
		got, err := Parse(strings.NewReader(tt.in))
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Parse(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"a=\\u12", "ok=1\nb=\\uZZZZ"} {
		_, err := Parse(strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), "line") {
			t.Errorf("Parse(%q) error = %v, want one naming the line", in, err)
		}
	}
}
