package remoting

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxJSONDepth bounds the nesting of unknown members the decoder skips, so a
// hostile header cannot make it recurse without limit.
const maxJSONDepth = 512

// decodeJSONHeader decodes a JSON header into c. It is a small scanner for the
// known shape of the header, written by hand because reflection-based decoding
// costs microseconds per frame. It accepts any valid JSON text: members in any
// order, any whitespace, all string escapes; unknown members (such as
// serializeTypeCurrentRPC) are validated and skipped whatever their value; null
// counts as absent. language may be a name or a number. extFields values should
// be strings; numbers and booleans are taken as their literal text, as
// upstream's parser does, and null values are dropped.
//
// The header is copied into one string and every unescaped string of the
// header is a substring of it: one allocation for all keys and values.
//
// The extFields members go to c.Fields, in header order, when fields (if not
// nil) says so for the decoded c, else to c.ExtFields.
func decodeJSONHeader(header []byte, c *Command, maps *extPool, fields func(*Command) bool) error {
	d := jsonDecoder{s: string(header)}
	// Room for the members of common headers, on the stack: the pairs
	// travel as parameters and results, never in d, which would move
	// them to the heap.
	var stack [16]extPair
	pairs, ext, err := d.header(c, stack[:0])
	if err != nil || !ext {
		return err
	}
	if fields != nil && fields(c) {
		fs, box := maps.getFields(len(pairs))
		for _, p := range pairs {
			if p.null {
				fs = slices.DeleteFunc(fs, func(f ExtField) bool { return f.Key == p.k })
				continue
			}
			fs = append(fs, ExtField{p.k, p.v})
		}
		c.Fields, c.fieldsBox = fs, box
		return nil
	}
	m := maps.get(len(pairs))
	for _, p := range pairs {
		if p.null {
			delete(m, p.k)
		} else {
			m[p.k] = p.v
		}
	}
	c.ExtFields = m
	return nil
}

type jsonDecoder struct {
	s   string
	pos int
}

// extPair is a decoded extFields member, collected before the map is made so
// the map can be sized exactly. null marks a member whose value was null: it
// removes an earlier member of the same name.
type extPair struct {
	k, v string
	null bool
}

func (d *jsonDecoder) fail(detail string) error {
	return frameErr(ErrBadHeader, d.pos, "JSON header: "+detail)
}

// unexpected reports an unexpected byte (or the end of the header) at d.pos.
func (d *jsonDecoder) unexpected(want string) error {
	if d.pos >= len(d.s) {
		return d.fail("unexpected end, want " + want)
	}
	return d.fail("unexpected " + strconv.QuoteRune(rune(d.s[d.pos])) + ", want " + want)
}

func (d *jsonDecoder) skipWS() {
	for d.pos < len(d.s) {
		switch d.s[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek skips whitespace and returns the next byte, or 0 at the end.
func (d *jsonDecoder) peek() byte {
	d.skipWS()
	if d.pos < len(d.s) {
		return d.s[d.pos]
	}
	return 0
}

func (d *jsonDecoder) expect(b byte) error {
	if d.peek() != b {
		return d.unexpected(strconv.QuoteRune(rune(b)))
	}
	d.pos++
	return nil
}

// literal consumes null, true or false.
func (d *jsonDecoder) literal(word string) bool {
	if strings.HasPrefix(d.s[d.pos:], word) {
		d.pos += len(word)
		return true
	}
	return false
}

// header decodes the header object into c. The members of the last
// extFields object are appended to buf and returned in pairs; ext reports
// that there was one (a later extFields member replaces an earlier one, as
// in a struct; a null one is absent).
func (d *jsonDecoder) header(c *Command, buf []extPair) (pairs []extPair, ext bool, err error) {
	if err := d.expect('{'); err != nil {
		return nil, false, err
	}
	if d.peek() == '}' {
		d.pos++
		return nil, false, d.end()
	}
	for {
		if d.peek() != '"' {
			return nil, false, d.unexpected("member name")
		}
		key, err := d.str()
		if err != nil {
			return nil, false, err
		}
		if err := d.expect(':'); err != nil {
			return nil, false, err
		}
		d.skipWS()
		switch key {
		case "code":
			err = d.int32Member(key, &c.Code)
		case "flag":
			err = d.int32Member(key, &c.Flag)
		case "opaque":
			err = d.int32Member(key, &c.Opaque)
		case "version":
			err = d.int32Member(key, &c.Version)
		case "language":
			err = d.language(c)
		case "remark":
			err = d.remark(c)
		case "extFields":
			var got bool
			var p []extPair
			if p, got, err = d.extFields(buf[:0]); got {
				pairs, ext = p, true
			}
		default:
			err = d.skipValue(0)
		}
		if err != nil {
			return nil, false, err
		}
		switch d.peek() {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return pairs, ext, d.end()
		default:
			return nil, false, d.unexpected("',' or '}'")
		}
	}
}

// end checks that nothing but whitespace follows the header object.
func (d *jsonDecoder) end() error {
	d.skipWS()
	if d.pos != len(d.s) {
		return d.fail("unexpected data after the header object")
	}
	return nil
}

// int32Member decodes an integer member. A quoted integer is accepted too, as
// upstream's parser accepts it.
func (d *jsonDecoder) int32Member(name string, dst *int32) error {
	start := d.pos
	var lit string
	var err error
	switch b := d.peek(); {
	case b == 'n' && d.literal("null"):
		return nil
	case b == '"':
		lit, err = d.str()
	default:
		lit, err = d.number()
	}
	if err != nil {
		return err
	}
	v, perr := strconv.ParseInt(lit, 10, 32)
	if perr != nil {
		d.pos = start
		return d.fail(name + " is " + strconv.Quote(lit) + ", want an integer within 32 bits")
	}
	*dst = int32(v)
	return nil
}

// language decodes the language member: the enum name (unknown names become
// LangOther) or, tolerated, the numeric code.
func (d *jsonDecoder) language(c *Command) error {
	switch b := d.peek(); {
	case b == '"':
		name, err := d.str()
		if err != nil {
			return err
		}
		c.Language = languageByName(name)
		return nil
	case b == 'n' && d.literal("null"):
		return nil
	case b == '-' || (b >= '0' && b <= '9'):
		start := d.pos
		lit, err := d.number()
		if err != nil {
			return err
		}
		v, perr := strconv.ParseUint(lit, 10, 8)
		if perr != nil {
			d.pos = start
			return d.fail("language is " + lit + ", want a name or a code 0..255")
		}
		c.Language = LanguageCode(v)
		return nil
	default:
		return d.unexpected("language name or code")
	}
}

func (d *jsonDecoder) remark(c *Command) error {
	if d.literal("null") {
		return nil
	}
	if d.pos >= len(d.s) || d.s[d.pos] != '"' {
		return d.unexpected("remark string")
	}
	s, err := d.str()
	c.Remark = s
	return err
}

// extFields decodes an extFields value, appending its members to buf;
// ok is false for null.
func (d *jsonDecoder) extFields(buf []extPair) (pairs []extPair, ok bool, err error) {
	if d.literal("null") {
		return nil, false, nil
	}
	if err := d.expect('{'); err != nil {
		return nil, false, err
	}
	pairs = buf
	if d.peek() == '}' {
		d.pos++
	} else {
		for {
			if d.peek() != '"' {
				return nil, false, d.unexpected("extFields member name")
			}
			k, err := d.str()
			if err != nil {
				return nil, false, err
			}
			if err := d.expect(':'); err != nil {
				return nil, false, err
			}
			var v string
			null := false
			switch b := d.peek(); {
			case b == '"':
				v, err = d.str()
			case b == 'n' && d.literal("null"):
				null = true // upstream treats a null value as absent
			case b == 't' && d.literal("true"):
				v = "true"
			case b == 'f' && d.literal("false"):
				v = "false"
			case b == '-' || (b >= '0' && b <= '9'):
				v, err = d.number()
			default:
				return nil, false, d.unexpected("string value of extFields member " + strconv.Quote(k))
			}
			if err != nil {
				return nil, false, err
			}
			pairs = append(pairs, extPair{k, v, null})
			switch d.peek() {
			case ',':
				d.pos++
				continue
			case '}':
				d.pos++
			default:
				return nil, false, d.unexpected("',' or '}' in extFields")
			}
			break
		}
	}
	return pairs, true, nil
}

// number consumes a JSON number and returns its literal text.
func (d *jsonDecoder) number() (string, error) {
	s, start := d.s, d.pos
	i := start
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		d.pos = i
		return "", d.unexpected("number")
	}
	if i < len(s) && s[i] == '.' {
		i++
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == j {
			d.pos = i
			return "", d.unexpected("digit after decimal point")
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == j {
			d.pos = i
			return "", d.unexpected("digit in exponent")
		}
	}
	d.pos = i
	return s[start:i], nil
}

// str consumes a JSON string (d.s[d.pos] is the opening quote) and returns its
// value. Strings without escapes and with valid UTF-8 are returned as
// substrings of the header without copying.
func (d *jsonDecoder) str() (string, error) {
	s := d.s
	start := d.pos + 1
	ascii := true
	for i := start; i < len(s); i++ {
		switch b := s[i]; {
		case b == '"':
			v := s[start:i]
			if !ascii && !utf8.ValidString(v) {
				return d.strSlow(start)
			}
			d.pos = i + 1
			return v, nil
		case b == '\\':
			return d.strSlow(start)
		case b < 0x20:
			d.pos = i
			return "", d.fail("control character in string")
		case b >= utf8.RuneSelf:
			ascii = false
		}
	}
	d.pos = len(s)
	return "", d.fail("unterminated string")
}

// strSlow decodes a string with escapes or invalid UTF-8 (replaced by U+FFFD,
// as encoding/json does) from d.s[start:], just after the opening quote.
func (d *jsonDecoder) strSlow(start int) (string, error) {
	s := d.s
	// Size the result from the raw length: escapes only shrink, so one
	// allocation suffices unless invalid UTF-8 bytes grow into U+FFFD.
	raw := len(s) - start
	for i := start; i < len(s); i++ {
		if s[i] == '\\' {
			i++
		} else if s[i] == '"' {
			raw = i - start
			break
		}
	}
	var b strings.Builder
	b.Grow(raw)
	i := start
	for i < len(s) {
		// Copy the run of plain bytes up to the next special one.
		j := i
		for j < len(s) && s[j] >= 0x20 && s[j] != '"' && s[j] != '\\' && s[j] < utf8.RuneSelf {
			j++
		}
		b.WriteString(s[i:j])
		i = j
		if i >= len(s) {
			break
		}
		c := s[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return b.String(), nil
		case c < 0x20:
			d.pos = i
			return "", d.fail("control character in string")
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b.WriteString("\uFFFD")
			} else {
				b.WriteString(s[i : i+size])
			}
			i += size
		default: // backslash
			if i+1 >= len(s) {
				d.pos = len(s)
				return "", d.fail("unterminated string")
			}
			e := s[i+1]
			i += 2
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, ok := hex4(s, i)
				if !ok {
					d.pos = i
					return "", d.fail(`bad \u escape`)
				}
				i += 4
				if utf16.IsSurrogate(r) {
					// A high surrogate followed by an escaped low one is one
					// rune; any other surrogate is invalid: U+FFFD.
					if r < 0xDC00 && i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
						if r2, ok := hex4(s, i+2); ok {
							if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
								i += 6
								b.WriteRune(dec)
								continue
							}
						}
					}
					r = utf8.RuneError
				}
				b.WriteRune(r)
			default:
				d.pos = i - 1
				return "", d.fail("bad escape character " + strconv.QuoteRune(rune(e)))
			}
		}
	}
	d.pos = len(s)
	return "", d.fail("unterminated string")
}

// hex4 parses four hex digits at s[i:].
func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// skipValue consumes any JSON value at d.pos (after whitespace), checking that
// it is well formed.
func (d *jsonDecoder) skipValue(depth int) error {
	if depth > maxJSONDepth {
		return d.fail("unknown member nested deeper than " + strconv.Itoa(maxJSONDepth))
	}
	switch b := d.peek(); {
	case b == '"':
		return d.skipString()
	case b == '{':
		d.pos++
		if d.peek() == '}' {
			d.pos++
			return nil
		}
		for {
			if d.peek() != '"' {
				return d.unexpected("member name")
			}
			if err := d.skipString(); err != nil {
				return err
			}
			if err := d.expect(':'); err != nil {
				return err
			}
			if err := d.skipValue(depth + 1); err != nil {
				return err
			}
			switch d.peek() {
			case ',':
				d.pos++
			case '}':
				d.pos++
				return nil
			default:
				return d.unexpected("',' or '}'")
			}
		}
	case b == '[':
		d.pos++
		if d.peek() == ']' {
			d.pos++
			return nil
		}
		for {
			if err := d.skipValue(depth + 1); err != nil {
				return err
			}
			switch d.peek() {
			case ',':
				d.pos++
			case ']':
				d.pos++
				return nil
			default:
				return d.unexpected("',' or ']'")
			}
		}
	case b == 't' && d.literal("true"), b == 'f' && d.literal("false"), b == 'n' && d.literal("null"):
		return nil
	case b == '-' || (b >= '0' && b <= '9'):
		_, err := d.number()
		return err
	default:
		return d.unexpected("value")
	}
}

// skipString consumes a string without building its value, validating its
// escapes.
func (d *jsonDecoder) skipString() error {
	s := d.s
	for i := d.pos + 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			d.pos = i + 1
			return nil
		case c < 0x20:
			d.pos = i
			return d.fail("control character in string")
		case c == '\\':
			if i+1 >= len(s) {
				d.pos = len(s)
				return d.fail("unterminated string")
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if _, ok := hex4(s, i+2); !ok {
					d.pos = i + 2
					return d.fail(`bad \u escape`)
				}
				i += 5
			default:
				d.pos = i + 1
				return d.fail("bad escape character " + strconv.QuoteRune(rune(s[i+1])))
			}
		}
	}
	d.pos = len(s)
	return d.fail("unterminated string")
}
