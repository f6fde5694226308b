package remoting

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// codeConst is a constant of codes.go with the upstream name its doc
// comment gives.
type codeConst struct {
	ident    string // RequestSendMessage
	value    int32
	upstream string // SEND_MESSAGE
}

// upstreamName matches the start of a code's doc comment:
// "RequestSendMessage (SEND_MESSAGE): ..." or "X (NAME, 4.9.x)".
var upstreamName = regexp.MustCompile(`^(\w+) \(([A-Z0-9_]+)[,)]`)

// codeConsts reads the Request* or Response* constants of codes.go in the
// order they are declared.
func codeConsts(t *testing.T, prefix string) []codeConst {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "codes.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var out []codeConst
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			ident := vs.Names[0].Name
			if !strings.HasPrefix(ident, prefix) {
				continue
			}
			if len(vs.Names) != 1 || len(vs.Values) != 1 {
				t.Fatalf("%s: want one name and one value per constant", ident)
			}
			text := literal(vs.Values[0])
			v, err := strconv.ParseInt(text, 10, 32)
			if err != nil {
				t.Fatalf("%s: value %q: %v", ident, text, err)
			}
			m := upstreamName.FindStringSubmatch(vs.Doc.Text())
			if m == nil || m[1] != ident {
				t.Fatalf("%s: doc comment does not start with %q", ident, ident+" (UPSTREAM_NAME)")
			}
			out = append(out, codeConst{ident: ident, value: int32(v), upstream: m[2]})
		}
	}
	return out
}

// literal returns the source text of a constant's value: an integer literal,
// possibly negated.
func literal(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.BasicLit:
		return e.Value
	case *ast.UnaryExpr:
		if e.Op == token.SUB {
			return "-" + literal(e.X)
		}
	}
	return "?"
}

func TestCodeNames(t *testing.T) {
	tests := []struct {
		prefix string
		name   func(int32) string
	}{
		{"Request", RequestName},
		{"Response", ResponseName},
	}
	for _, tc := range tests {
		t.Run(tc.prefix, func(t *testing.T) {
			consts := codeConsts(t, tc.prefix)
			if len(consts) < 50 {
				t.Fatalf("found only %d %s constants in codes.go", len(consts), tc.prefix)
			}
			// The first constant declared for a value names it: 5.x reuses
			// three 4.9.x response codes, and the 5.x names come first.
			first := make(map[int32]codeConst)
			for _, c := range consts {
				if _, ok := first[c.value]; !ok {
					first[c.value] = c
				}
			}
			for _, c := range consts {
				want := first[c.value].upstream
				if got := tc.name(c.value); got != want {
					t.Errorf("%sName(%s = %d) = %q, want %q; the table needs\n\tcase %s:\n\t\treturn %q",
						tc.prefix, c.ident, c.value, got, want, first[c.value].ident, want)
				}
			}
			// And the table names nothing else.
			for code := int32(-5000); code <= 300000; code++ {
				if n := tc.name(code); n != "" {
					if _, ok := first[code]; !ok {
						t.Errorf("%sName(%d) = %q, but codes.go defines no such code", tc.prefix, code, n)
					}
				}
			}
		})
	}
}
