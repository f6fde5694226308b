package fastjson

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is the type of a Value.
type Kind uint8

// Kinds of values.
const (
	Null   Kind = iota // null
	Bool               // true or false
	Number             // a number; Text holds it as written
	String             // a string; Text holds it unescaped
	Array              // an array; Items holds the elements
	Object             // an object; Members holds the members
)

// Value is one parsed JSON value.
type Value struct {
	Kind Kind
	// Text is the unescaped text of a String, the literal text of a Number
	// or of an unquoted key, and "true"/"false" for a Bool.
	Text    string
	Items   []Value  // elements of an Array
	Members []Member // members of an Object, in input order
}

// Member is one member of an object. Key is a String (quoted or unquoted
// key), a Number, or an Object (fastjson's form of maps keyed by beans).
type Member struct {
	Key Value
	Val Value
}

// ErrSyntax is wrapped by every parse error.
var ErrSyntax = errors.New("fastjson: syntax error")

// Parse parses b as one value followed by nothing but white space. Besides
// standard JSON it accepts unquoted keys ({0:"addr"}, {topic:"T"}), objects
// and arrays as keys, and single-quoted strings. The bodies it is meant for
// (routes, cluster maps, statistics) are small and rare, so the tree favours
// clarity over speed; every string is copied out of b.
func Parse(b []byte) (Value, error) {
	p := parser{b: b}
	v, err := p.value(0)
	if err != nil {
		return Value{}, err
	}
	p.ws()
	if p.i != len(p.b) {
		return Value{}, p.fail("trailing data")
	}
	return v, nil
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 64

type parser struct {
	b []byte
	i int
}

func (p *parser) fail(what string) error {
	return fmt.Errorf("%w at offset %d: %s", ErrSyntax, p.i, what)
}

func (p *parser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (Value, error) {
	if depth > maxDepth {
		return Value{}, p.fail("nested too deeply")
	}
	p.ws()
	if p.i >= len(p.b) {
		return Value{}, p.fail("unexpected end")
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"' || c == '\'':
		s, err := p.str()
		return Value{Kind: String, Text: s}, err
	case c == '-' || c == '+' || (c >= '0' && c <= '9'):
		return p.number()
	default:
		w := p.word()
		switch w {
		case "true", "false":
			return Value{Kind: Bool, Text: w}, nil
		case "null":
			return Value{Kind: Null}, nil
		}
		return Value{}, p.fail("unexpected character " + strconv.QuoteRune(rune(c)))
	}
}

// word reads an unquoted identifier-like token.
func (p *parser) word() string {
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c == '_' || c == '$' || c == '-' || c == '.' || c == '+' ||
			(c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
			p.i++
			continue
		}
		break
	}
	return string(p.b[start:p.i])
}

func (p *parser) number() (Value, error) {
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			p.i++
			continue
		}
		break
	}
	return Value{Kind: Number, Text: string(p.b[start:p.i])}, nil
}

func (p *parser) array(depth int) (Value, error) {
	p.i++ // [
	v := Value{Kind: Array}
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return v, nil
	}
	for {
		item, err := p.value(depth + 1)
		if err != nil {
			return Value{}, err
		}
		v.Items = append(v.Items, item)
		p.ws()
		if p.i >= len(p.b) {
			return Value{}, p.fail("unterminated array")
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return v, nil
		default:
			return Value{}, p.fail("expected , or ] in array")
		}
	}
}

func (p *parser) object(depth int) (Value, error) {
	p.i++ // {
	v := Value{Kind: Object}
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return v, nil
	}
	for {
		key, err := p.key(depth)
		if err != nil {
			return Value{}, err
		}
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return Value{}, p.fail("expected : after object key")
		}
		p.i++
		val, err := p.value(depth + 1)
		if err != nil {
			return Value{}, err
		}
		v.Members = append(v.Members, Member{Key: key, Val: val})
		p.ws()
		if p.i >= len(p.b) {
			return Value{}, p.fail("unterminated object")
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return v, nil
		default:
			return Value{}, p.fail("expected , or } in object")
		}
	}
}

// key reads an object key: a quoted string, an object (bean-keyed maps), or
// an unquoted token (numeric map keys, unquoted field names).
func (p *parser) key(depth int) (Value, error) {
	p.ws()
	if p.i >= len(p.b) {
		return Value{}, p.fail("unexpected end in object")
	}
	switch c := p.b[p.i]; c {
	case '"', '\'':
		s, err := p.str()
		return Value{Kind: String, Text: s}, err
	case '{', '[':
		return p.value(depth + 1)
	}
	w := p.word()
	if w == "" {
		return Value{}, p.fail("bad object key")
	}
	if c := w[0]; c == '-' || (c >= '0' && c <= '9') {
		return Value{Kind: Number, Text: w}, nil
	}
	return Value{Kind: String, Text: w}, nil
}

func (p *parser) str() (string, error) {
	quote := p.b[p.i]
	p.i++
	start := p.i
	// Fast path: no escapes.
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c == quote {
			s := string(p.b[start:p.i])
			p.i++
			return s, nil
		}
		if c == '\\' {
			break
		}
		p.i++
	}
	buf := append([]byte(nil), p.b[start:p.i]...)
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == quote:
			p.i++
			return string(buf), nil
		case c != '\\':
			buf = append(buf, c)
			p.i++
			continue
		}
		p.i++
		if p.i >= len(p.b) {
			break
		}
		e := p.b[p.i]
		p.i++
		switch e {
		case '"', '\\', '/', '\'':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", p.fail("bad \\u escape")
			}
			if utf16.IsSurrogate(r) {
				save := p.i
				if p.i+1 < len(p.b) && p.b[p.i] == '\\' && p.b[p.i+1] == 'u' {
					p.i += 2
					if r2, ok := p.hex4(); ok {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							buf = utf8.AppendRune(buf, d)
							continue
						}
					}
				}
				p.i = save
				r = utf8.RuneError
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", p.fail("bad escape")
		}
	}
	return "", p.fail("unterminated string")
}

func (p *parser) hex4() (rune, bool) {
	if p.i+4 > len(p.b) {
		return 0, false
	}
	var r rune
	for _, c := range p.b[p.i : p.i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	p.i += 4
	return r, true
}

// Get returns the member of an object whose (string or numeric) key text is
// name, and whether there was one. On other kinds it reports false.
func (v Value) Get(name string) (Value, bool) {
	if v.Kind != Object {
		return Value{}, false
	}
	for _, m := range v.Members {
		if (m.Key.Kind == String || m.Key.Kind == Number) && m.Key.Text == name {
			return m.Val, true
		}
	}
	return Value{}, false
}

// Str returns the text of a String or Number value, and "" otherwise.
func (v Value) Str() string {
	if v.Kind == String || v.Kind == Number {
		return v.Text
	}
	return ""
}

// Int returns the value of a Number, or of a String holding a number, as an
// int64 (fractions are truncated). Null and absent values give 0 and no error.
func (v Value) Int() (int64, error) {
	switch v.Kind {
	case Null:
		return 0, nil
	case Number, String:
		n, ok, inRange := parseInt(v.Text, 64)
		if !ok || !inRange {
			return 0, fmt.Errorf("fastjson: %q is not a number", v.Text)
		}
		return n, nil
	}
	return 0, fmt.Errorf("fastjson: value of kind %d is not a number", v.Kind)
}

// Float returns the value of a Number, or of a String holding a number.
func (v Value) Float() (float64, error) {
	switch v.Kind {
	case Null:
		return 0, nil
	case Number, String:
		f, err := strconv.ParseFloat(v.Text, 64)
		if err != nil {
			return 0, fmt.Errorf("fastjson: %q is not a number", v.Text)
		}
		return f, nil
	}
	return 0, fmt.Errorf("fastjson: value of kind %d is not a number", v.Kind)
}

// Truth returns true for Bool true and for the string "true".
func (v Value) Truth() bool {
	return (v.Kind == Bool || v.Kind == String) && v.Text == "true"
}

// Strings returns the String elements of an Array.
func (v Value) Strings() []string {
	if v.Kind != Array {
		return nil
	}
	out := make([]string, 0, len(v.Items))
	for _, it := range v.Items {
		if it.Kind == String || it.Kind == Number {
			out = append(out, it.Text)
		}
	}
	return out
}
