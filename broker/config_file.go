package broker

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"
)

// LoadConfigFile reads a broker.conf file (Java properties syntax, RocketMQ's
// key names) on top of DefaultConfig and validates the result. Every unknown
// key and invalid value is reported, each with its line number, in one error.
func LoadConfigFile(path string) (Config, error) {
	cfg := DefaultConfig()
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("broker config: %w", err)
	}
	applyErr := cfg.applyProperties(path, data)
	if err := cfg.Validate(); err != nil {
		applyErr = errors.Join(applyErr, fmt.Errorf("broker config %s: %w", path, err))
	}
	return cfg, applyErr
}

// applyProperties applies every entry of a properties text; name is used in
// error messages.
func (c *Config) applyProperties(name string, data []byte) error {
	entries, err := parseProperties(data)
	if err != nil {
		return fmt.Errorf("broker config %s: %w", name, err)
	}
	var errs []error
	for _, e := range entries {
		if err := c.Set(e.key, e.value); err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: %w", name, e.line, err))
		}
	}
	return errors.Join(errs...)
}

// property is one key=value entry of a properties file.
type property struct {
	key, value string
	line       int
}

// parseProperties parses java.util.Properties text: '#' and '!' comments,
// key and value separated by '=', ':' or whitespace, backslash line
// continuations and the \t \n \r \f \uXXXX escapes. Values are trimmed, as
// trailing blanks in a broker.conf are almost always accidental.
func parseProperties(data []byte) ([]property, error) {
	var out []property
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		start := lineNo
		line := strings.TrimLeft(sc.Text(), " \t\f")
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		for endsWithContinuation(line) && sc.Scan() {
			lineNo++
			line = line[:len(line)-1] + strings.TrimLeft(sc.Text(), " \t\f")
		}
		if endsWithContinuation(line) {
			line = line[:len(line)-1]
		}
		rawKey, rawValue := splitProperty(line)
		key, err := unescapeProperty(rawKey)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", start, err)
		}
		value, err := unescapeProperty(rawValue)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", start, err)
		}
		out = append(out, property{key: key, value: strings.TrimSpace(value), line: start})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// endsWithContinuation reports whether line ends in an odd number of
// backslashes.
func endsWithContinuation(line string) bool {
	n := 0
	for i := len(line) - 1; i >= 0 && line[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// splitProperty splits a logical line at the first unescaped '=', ':' or
// blank; blanks around the separator belong to neither side.
func splitProperty(line string) (key, value string) {
	i := 0
	for i < len(line) {
		ch := line[i]
		if ch == '\\' {
			i += 2
			continue
		}
		if ch == '=' || ch == ':' || ch == ' ' || ch == '\t' || ch == '\f' {
			break
		}
		i++
	}
	if i >= len(line) {
		return line, ""
	}
	key, rest := line[:i], strings.TrimLeft(line[i:], " \t\f")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t\f")
	}
	return key, rest
}

func unescapeProperty(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch != '\\' || i+1 == len(s) {
			b.WriteByte(ch)
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+5 > len(s) {
				return "", fmt.Errorf("malformed \\uXXXX escape in %q", s)
			}
			r, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil {
				return "", fmt.Errorf("malformed \\uXXXX escape in %q", s)
			}
			var buf [utf8.UTFMax]byte
			b.Write(buf[:utf8.EncodeRune(buf[:], rune(r))])
			i += 4
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}

// parseDeleteWhen parses deleteWhen: hours of the day separated by ';'.
func parseDeleteWhen(v string) ([]int, error) {
	var hours []int
	for _, part := range strings.Split(v, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		h, err := strconv.Atoi(part)
		if err != nil || h < 0 || h > 23 {
			return nil, fmt.Errorf("%q: want hours 00..23 separated by ';'", v)
		}
		hours = append(hours, h)
	}
	if len(hours) == 0 {
		return nil, fmt.Errorf("%q: want hours 00..23 separated by ';'", v)
	}
	return hours, nil
}
