package remoting

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strconv"
	"testing"
	"testing/iotest"
)

// TestFrameReader reads streams of frames of mixed sizes, in one piece and
// byte by byte, and checks every frame, that pinned frames are never
// overwritten by later reads, and how the stream may end.
func TestFrameReader(t *testing.T) {
	const chunk = 64
	sizes := []int{4, 10, 60, 64, 65, 200, 1, 33, 100, 33, 128, 129, 33, 5000, 7, 120, 120, 120}
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
		for _, maxChunk := range []int{chunk, 8 * chunk} { // fixed chunks; chunks growing for frames up to 128 bytes
			t.Run(tt.name+"/max"+strconv.Itoa(maxChunk), func(t *testing.T) {
				testFrameReaderStream(t, newFrameReader(tt.r(), chunk, maxChunk, nil), want, tt.pinAll)
			})
		}
	}
}

// testFrameReaderStream reads want from fr and checks every frame, that
// the stream then ends, and with pinAll that no frame was overwritten.
func testFrameReaderStream(t *testing.T, fr *frameReader, want [][]byte, pinAll bool) {
	t.Helper()
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
		if shared && pinAll {
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
	if pinAll {
		for i, f := range kept {
			if !bytes.Equal(f, want[i]) {
				t.Fatalf("pinned frame %d overwritten: %q", i, f)
			}
		}
	}
}

// TestFrameReaderTruncated checks that a stream ending inside a length
// prefix or a frame reports io.ErrUnexpectedEOF.
func TestFrameReaderTruncated(t *testing.T) {
	full := binary.BigEndian.AppendUint32(nil, 10)
	full = append(full, "0123456789"...)
	for _, cut := range []int{2, 4 + 3} {
		fr := newFrameReader(bytes.NewReader(full[:cut]), 64, 512, nil)
		n, err := fr.length()
		if err == nil {
			_, _, err = fr.frame(int(n))
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("cut at %d: %v, want io.ErrUnexpectedEOF", cut, err)
		}
	}
}

// TestFrameReaderLends lends every frame, keeps every other one borrowed
// to the end, and checks that no borrowed frame is overwritten, that
// chunks with a borrowed frame are not reused, and that every chunk the
// reader left is free (no references) once all frames were given back.
func TestFrameReaderLends(t *testing.T) {
	const chunk, n = 64, 200
	var stream []byte
	var want [][]byte
	for i := range n {
		f := bytes.Repeat([]byte{byte(i)}, 1+i%16) // all carved from chunks
		stream = binary.BigEndian.AppendUint32(stream, uint32(len(f)))
		stream = append(stream, f...)
		want = append(want, f)
	}
	for _, name := range []string{"whole", "bytewise"} {
		t.Run(name, func(t *testing.T) {
			var r io.Reader = bytes.NewReader(stream)
			if name == "bytewise" {
				r = iotest.OneByteReader(r)
			}
			fr := newFrameReader(r, chunk, chunk, newChunkPool(chunk))
			type lent struct {
				frame []byte
				chunk *readChunk
			}
			var held []lent
			chunks := map[*readChunk]bool{}
			for i := range n {
				size, err := fr.length()
				if err != nil {
					t.Fatal(err)
				}
				f, shared, err := fr.frame(int(size))
				if err != nil || !shared || !bytes.Equal(f, want[i]) {
					t.Fatalf("frame %d: %v shared=%v %v", i, f, shared, err)
				}
				c := fr.lend()
				chunks[c] = true
				if i%2 == 0 {
					held = append(held, lent{f, c})
				} else {
					c.release()
				}
			}
			for i, h := range held {
				if !bytes.Equal(h.frame, want[2*i]) {
					t.Fatalf("borrowed frame %d overwritten: %v", 2*i, h.frame)
				}
				h.chunk.release()
			}
			for c := range chunks {
				want := int32(0)
				if c == fr.cur {
					want = 1 // the reader's own
				}
				if got := c.refs.Load(); got != want {
					t.Fatalf("chunk refs %d after all frames were given back, want %d", got, want)
				}
			}
		})
	}
}

// TestChunkPoolClasses checks that the pool covers every size a reader's
// chunks grow to.
func TestChunkPoolClasses(t *testing.T) {
	p := newChunkPool(1000)
	for size := 1000; size <= maxChunkGrowth*1000; size *= 2 {
		if p.class(size) < 0 {
			t.Errorf("no class for chunks of %d bytes", size)
		}
	}
	if p.class(3000) >= 0 {
		t.Errorf("class for a size no reader uses")
	}
}
