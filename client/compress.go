package client

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"sync"

	"github.com/saturnmq/saturn/message"
)

// zlibPools keeps one pool of writers per compression level: a zlib writer
// holds hundreds of KiB of state, far too much to allocate per message.
type zlibPools struct {
	mu    sync.Mutex
	pools map[int]*sync.Pool
}

func (z *zlibPools) pool(level int) *sync.Pool {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.pools == nil {
		z.pools = make(map[int]*sync.Pool)
	}
	p := z.pools[level]
	if p == nil {
		p = &sync.Pool{}
		z.pools[level] = p
	}
	return p
}

// compress appends the zlib stream of body at level to dst.
func (z *zlibPools) compress(dst []byte, body []byte, level int) ([]byte, error) {
	p := z.pool(level)
	buf := bytes.NewBuffer(dst)
	w, _ := p.Get().(*zlib.Writer)
	if w == nil {
		var err error
		if w, err = zlib.NewWriterLevel(buf, level); err != nil {
			return dst, fmt.Errorf("%w: compression level %d: %v", ErrInvalidConfig, level, err)
		}
	} else {
		w.Reset(buf)
	}
	if _, err := w.Write(body); err != nil {
		return dst, err
	}
	if err := w.Close(); err != nil {
		return dst, err
	}
	p.Put(w)
	return buf.Bytes(), nil
}

// decompressBody inflates m's body when its sysFlag says it is compressed,
// and clears the flag so the message describes the body it holds. Bodies in
// a compression other than zlib (LZ4, ZSTD from Java 5.x producers) are left
// as they are, flag included, and reported as an error.
func decompressBody(m *message.Ext) error {
	if m.SysFlag&message.SysFlagCompressed == 0 {
		return nil
	}
	switch m.SysFlag & message.SysFlagCompressionTypeMask {
	case 0, message.CompressionZLIB:
	default:
		return fmt.Errorf("client: message %s: unsupported compression type %#x", m.MsgID(), m.SysFlag&message.SysFlagCompressionTypeMask)
	}
	r, err := zlib.NewReader(bytes.NewReader(m.Body))
	if err != nil {
		return fmt.Errorf("client: message %s: inflate body: %w", m.MsgID(), err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("client: message %s: inflate body: %w", m.MsgID(), err)
	}
	m.Body = out
	m.SysFlag &^= message.SysFlagCompressed | message.SysFlagCompressionTypeMask
	return nil
}
