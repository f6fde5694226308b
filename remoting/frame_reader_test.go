package remoting

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// TestFrameReader reads streams of frames of mixed sizes, in one piece and
// byte by byte, and checks every frame, that pinned frames are never
// overwritten by later reads, and how the stream may end.
func TestFrameReader(t *testing.T) {
	const chunk = 64
	sizes := []int{4, 10, 60, 64, 65, 200, 1, 33, 33, 33, 5000, 7}
	var stream []byte
	var want [][]byte
	for i, n := range sizes {
		f := bytes.Repeat([]byte{byte('a' + i)}, n)
		stream = binary.BigEndian.AppendUint32(stream, uint32(n))
		stream = append(stream, f...)
		want = append(want, f)
	}
	tests := []struct {
		name   string
		r      func() io.Reader
		pinAll bool
	}{
		{"whole", func() io.Reader { return bytes.NewReader(stream) }, false},
		{"whole pinned", func() io.Reader { return bytes.NewReader(stream) }, true},
		{"bytewise", func() io.Reader { return iotest.OneByteReader(bytes.NewReader(stream)) }, false},
		{"bytewise pinned", func() io.Reader { return iotest.OneByteReader(bytes.NewReader(stream)) }, true},
		{"data with EOF", func() io.Reader { return iotest.DataErrReader(bytes.NewReader(stream)) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fr := newFrameReader(tt.r(), chunk)
			var kept [][]byte
			for i, w := range want {
				n, err := fr.length()
				if err != nil || n != int64(len(w)) {
					t.Fatalf("frame %d: length %d, %v; want %d", i, n, err, len(w))
				}
				f, shared, err := fr.frame(int(n))
				if err != nil || !bytes.Equal(f, w) {
					t.Fatalf("frame %d: %q, %v; want %q", i, f, err, w)
				}
				if shared && tt.pinAll {
					fr.pin()
				}
				if cap(f) != len(f) {
					t.Fatalf("frame %d: capacity %d beyond its length %d", i, cap(f), len(f))
				}
				kept = append(kept, f)
			}
			if _, err := fr.length(); err != io.EOF {
				t.Fatalf("after the last frame: %v, want io.EOF", err)
			}
			if tt.pinAll {
				for i, f := range kept {
					if !bytes.Equal(f, want[i]) {
						t.Fatalf("pinned frame %d overwritten: %q", i, f)
					}
				}
			}
		})
	}
}

// TestFrameReaderTruncated checks that a stream ending inside a length
// prefix or a frame reports io.ErrUnexpectedEOF.
func TestFrameReaderTruncated(t *testing.T) {
	full := binary.BigEndian.AppendUint32(nil, 10)
	full = append(full, "0123456789"...)
	for _, cut := range []int{2, 4 + 3} {
		fr := newFrameReader(bytes.NewReader(full[:cut]), 64)
		n, err := fr.length()
		if err == nil {
			_, _, err = fr.frame(int(n))
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("cut at %d: %v, want io.ErrUnexpectedEOF", cut, err)
		}
	}
}
