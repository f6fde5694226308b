package remoting

import (
	"encoding/binary"
	"io"
)

// frameReader cuts frames out of large reads from a connection, so that one
// read syscall usually yields several frames and a frame's bytes are read
// straight into the memory the decoded command keeps, without a copy through
// an intermediate buffer and without an allocation per frame.
//
// Frames are sub-slices of a chunk of chunkSize bytes. A command's Body may
// alias its frame (Decode keeps it, handlers may keep it), so once a frame
// with a body was handed out, its chunk is pinned: its bytes are never written
// again and the next read goes to a fresh chunk. A chunk whose frames had no
// bodies (pulls, heartbeats without payload, offset updates) is reused, since
// Decode copies every header string out of the frame. The cost of the
// sharing: a body kept by a handler keeps its whole chunk (at most chunkSize
// bytes) alive.
//
// Frames larger than a quarter of a chunk are read into their own
// allocation (see readFrame), unless the chunks may grow enough to hold
// them: a connection that sends such frames (batches of messages) gets
// chunks of up to maxChunk bytes, so that its frames too are read in large
// reads straight into the chunk instead of being copied out of it into an
// allocation each. Connections that never send large frames keep small
// chunks.
type frameReader struct {
	r         io.Reader
	chunkSize int
	maxChunk  int
	buf       []byte // current chunk; buf[start:end] is read but not consumed
	start     int
	end       int
	pinned    bool // a frame handed out from buf is still referenced
}

func newFrameReader(r io.Reader, chunkSize, maxChunk int) *frameReader {
	chunkSize = max(chunkSize, 64)
	return &frameReader{r: r, chunkSize: chunkSize, maxChunk: max(maxChunk, chunkSize)}
}

// length reads the next frame's totalLength prefix. io.EOF means the stream
// ended cleanly between frames.
func (f *frameReader) length() (int64, error) {
	if err := f.fill(LengthFieldSize); err != nil {
		if err == io.EOF && f.end > f.start {
			err = io.ErrUnexpectedEOF
		}
		return 0, err
	}
	n := int64(int32(binary.BigEndian.Uint32(f.buf[f.start:])))
	f.start += LengthFieldSize
	return n, nil
}

// frame reads the n bytes of the frame whose length was just read. shared
// reports that the frame is a slice of the current chunk: the caller must
// call pin if anything it keeps aliases the frame.
func (f *frameReader) frame(n int) (frame []byte, shared bool, err error) {
	for n > f.chunkSize/4 && n <= f.maxChunk/4 {
		// The next chunk is made large enough (fill allocates it).
		f.chunkSize = min(2*f.chunkSize, f.maxChunk)
	}
	if n > f.chunkSize/4 {
		// Large frames get their own allocation: carved from a chunk,
		// a kept body would pin the chunk and the next frames would need a
		// fresh one, wasting up to a chunk per frame. The buffered part is
		// copied, the rest read straight into the frame.
		frame, err = readFrame(f, n)
		return frame, false, err
	}
	if err := f.fill(n); err != nil {
		return nil, false, noEOF(err)
	}
	frame = f.buf[f.start : f.start+n : f.start+n]
	f.start += n
	return frame, true, nil
}

// pin marks the current chunk as referenced by a frame handed out.
func (f *frameReader) pin() { f.pinned = true }

// fill makes sure at least need unconsumed bytes are buffered, reading as
// many as the chunk has room for. need must not exceed chunkSize.
func (f *frameReader) fill(need int) error {
	if f.end-f.start >= need {
		return nil
	}
	if len(f.buf)-f.start < need {
		// Not enough room after start: move the unconsumed bytes to the
		// front of the chunk, or of a fresh one if frames alias this one.
		nb := f.buf
		if f.pinned || len(nb) < f.chunkSize {
			nb = make([]byte, f.chunkSize)
			f.pinned = false
		}
		k := copy(nb, f.buf[f.start:f.end])
		f.buf, f.start, f.end = nb, 0, k
	}
	for f.end-f.start < need {
		k, err := f.r.Read(f.buf[f.end:])
		f.end += k
		if err != nil {
			if f.end-f.start >= need {
				return nil // the error comes back with the next read
			}
			return err
		}
	}
	return nil
}

// Read implements io.Reader for frames too large for a chunk: the buffered
// bytes first, then straight from the connection.
func (f *frameReader) Read(p []byte) (int, error) {
	if f.start < f.end {
		k := copy(p, f.buf[f.start:f.end])
		f.start += k
		return k, nil
	}
	return f.r.Read(p)
}
