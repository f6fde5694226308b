package remoting

import (
	"encoding/binary"
	"io"
	"sync"
	"sync/atomic"
)

// frameReader cuts frames out of large reads from a connection, so that one
// read syscall usually yields several frames and a frame's bytes are read
// straight into the memory the decoded command keeps, without a copy through
// an intermediate buffer and without an allocation per frame.
//
// Frames are sub-slices of a chunk of chunkSize bytes. A command's Body may
// alias its frame (Decode keeps it, handlers may keep it), so once a frame
// with a body was handed out for good (pin), its chunk is never written
// again and the next read goes to a fresh chunk. A chunk whose frames had no
// bodies (pulls, heartbeats without payload, offset updates) is reused, since
// Decode copies every header string out of the frame. The cost of the
// sharing: a body kept by a handler keeps its whole chunk (at most chunkSize
// bytes) alive.
//
// A frame whose body is only borrowed, by a handler that is done with it
// when it returns, is lent instead (lend): the chunk counts it, and once
// the reader moved on and every lent frame was given back (readChunk.release)
// the chunk goes back to the pool for another read, without being zeroed
// or collected. A chunk that has both lent and pinned frames is never
// reused.
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
	pool      *chunkPool // where chunks come from and lent ones return; nil: no reuse
	cur       *readChunk // the chunk buf belongs to, nil before the first fill
	buf       []byte     // current chunk; buf[start:end] is read but not consumed
	start     int
	end       int
	pinned    bool // a frame handed out from buf is still referenced, for good
}

func newFrameReader(r io.Reader, chunkSize, maxChunk int, pool *chunkPool) *frameReader {
	chunkSize = max(chunkSize, 64)
	return &frameReader{r: r, chunkSize: chunkSize, maxChunk: max(maxChunk, chunkSize), pool: pool}
}

// readChunk is a chunk of a frameReader and its lending count.
type readChunk struct {
	buf []byte
	// refs is one for the reader while the chunk is its current one, plus
	// one per frame lent and not yet released. Whoever brings it to zero
	// returns the chunk to pool. A pinned chunk keeps the reader's
	// reference for ever, so it never returns.
	refs atomic.Int32
	pool *chunkPool
}

// release gives back a frame lent from the chunk (see frameReader.lend).
// The frame's bytes must not be used afterwards.
func (c *readChunk) release() {
	if c.refs.Add(-1) == 0 {
		c.pool.put(c)
	}
}

// chunkPool keeps the chunks of a Server's connections for reuse, by size:
// connections' chunks have the configured size times a power of two up to
// maxChunkGrowth.
type chunkPool struct {
	base  int
	sizes [chunkClasses]sync.Pool // of *readChunk of base<<i bytes
}

// chunkClasses is the number of chunk sizes: base<<0 to base<<3, for
// maxChunkGrowth 8.
const chunkClasses = 4

func newChunkPool(base int) *chunkPool { return &chunkPool{base: max(base, 64)} }

// class returns the index of the pool for chunks of n bytes, or -1.
func (p *chunkPool) class(n int) int {
	for i := range p.sizes {
		if p.base<<i == n {
			return i
		}
	}
	return -1
}

// get returns a chunk of n bytes with the reader's reference taken.
func (p *chunkPool) get(n int) *readChunk {
	var c *readChunk
	if p != nil {
		if i := p.class(n); i >= 0 {
			c, _ = p.sizes[i].Get().(*readChunk)
		}
	}
	if c == nil {
		// Fresh chunks are zeroed by make; reused ones hold old bytes,
		// which no frame shows: a frame is handed out only after its
		// bytes were read.
		c = &readChunk{buf: make([]byte, n), pool: p}
	}
	c.refs.Store(1)
	return c
}

func (p *chunkPool) put(c *readChunk) {
	if p == nil {
		return
	}
	if i := p.class(len(c.buf)); i >= 0 {
		p.sizes[i].Put(c)
	}
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

// drained reports whether every byte read so far was handed out in frames:
// the next frame needs another read.
func (f *frameReader) drained() bool { return f.start == f.end }

// pin marks the current chunk as referenced by a frame handed out, for
// good.
func (f *frameReader) pin() { f.pinned = true }

// lend counts a frame just handed out from the current chunk as lent: the
// chunk is not written again before the returned chunk's release was
// called for it.
func (f *frameReader) lend() *readChunk {
	f.cur.refs.Add(1)
	return f.cur
}

// fill makes sure at least need unconsumed bytes are buffered, reading as
// many as the chunk has room for. need must not exceed chunkSize.
func (f *frameReader) fill(need int) error {
	if f.end-f.start >= need {
		return nil
	}
	if len(f.buf)-f.start < need {
		// Not enough room after start: move the unconsumed bytes to the
		// front of the chunk, or of a fresh one if frames alias this one.
		// Lent frames too: the chunk is reused in place only when the
		// reader holds the one reference (nobody else can take one).
		nc := f.cur
		if nc == nil || f.pinned || nc.refs.Load() != 1 || len(nc.buf) < f.chunkSize {
			nc = f.pool.get(f.chunkSize)
		}
		k := copy(nc.buf, f.buf[f.start:f.end])
		if f.cur != nc && f.cur != nil && !f.pinned {
			f.cur.release() // the reader's reference, once copied from
		}
		f.pinned = false
		f.cur, f.buf, f.start, f.end = nc, nc.buf, 0, k
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
