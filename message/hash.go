package message

import "unicode/utf8"

// JavaHashCode returns java.lang.String.hashCode of s: h = 31*h + c over the
// UTF-16 code units of s, wrapping in int32. Invalid UTF-8 bytes count as
// U+FFFD each, as Go's decoder reads them.
func JavaHashCode(s string) int32 {
	var h int32
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			h = 31*h + int32(c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if r >= 0x10000 {
			r -= 0x10000
			h = 31*h + int32(0xD800+(r>>10))
			h = 31*h + int32(0xDC00+(r&0x3FF))
			continue
		}
		h = 31*h + int32(r)
	}
	return h
}

// TagsCode returns the consume-queue tags code of a TAGS value: its Java hash
// code sign-extended to int64, or 0 when there is no tag.
func TagsCode(tags string) int64 {
	if tags == "" {
		return 0
	}
	return int64(JavaHashCode(tags))
}
