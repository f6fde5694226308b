package remoting

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// nopOwner owns connections in tests that drive a Conn directly.
type nopOwner struct{}

func (nopOwner) dispatch(*Conn, *Command) {}
func (nopOwner) connClosed(*Conn)         {}

// TestFrameWithBodies writes frames made of a head, a body and a list of
// bodies, through the writer and directly, some large enough to need
// several writes, and checks the peer reads every byte in order and that
// each frame's done runs once.
func TestFrameWithBodies(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- nc
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	peer := <-accepted
	if peer == nil {
		t.Fatal("accept failed")
	}
	defer peer.Close()
	pool := &sync.Pool{New: func() any { b := make([]byte, 0, 64); return &b }}
	c := newConn(context.Background(), 1, nc, connOptions{maxFrame: DefaultMaxFrameSize, readBuf: 4096},
		nopOwner{}, pool, new(atomic.Int32), slog.New(slog.DiscardHandler))
	c.start()
	defer c.Close()

	piece := func(n int, b byte) []byte { return bytes.Repeat([]byte{b}, n) }
	frames := []struct {
		direct bool
		head   []byte
		body   []byte
		bodies [][]byte
	}{
		{false, piece(10, 'h'), nil, [][]byte{piece(3, 'a'), nil, piece(5, 'b')}},
		{true, piece(7, 'i'), piece(100, 'c'), [][]byte{piece(1, 'd'), piece(2, 'e')}},
		{true, piece(9, 'j'), nil, [][]byte{piece(3<<20, 'f'), piece(4, 'g'), piece(2<<20, 'k')}},
		{false, piece(5, 'l'), piece(1<<20, 'm'), [][]byte{piece(1<<20, 'n'), piece(1, 'o')}},
		{true, piece(4, 'p'), nil, nil},
	}
	var want []byte
	var done atomic.Int32
	for _, f := range frames {
		want = append(want, f.head...)
		want = append(want, f.body...)
		for _, b := range f.bodies {
			want = append(want, b...)
		}
		bp := pool.Get().(*[]byte)
		*bp = append((*bp)[:0], f.head...)
		of := outFrame{buf: bp, body: f.body, bodies: f.bodies, done: func() { done.Add(1) }}
		if f.direct {
			c.wmu.Lock()
			if c.writing || len(c.queue) > 0 {
				// Frames go out in order: queue behind the others.
				c.queue = append(c.queue, of)
				c.wmu.Unlock()
				c.signalWriter()
				continue
			}
			c.writing = true
			c.wmu.Unlock()
			c.writeDirect(of)
			continue
		}
		if err := c.queueFrame(of, false); err != nil {
			t.Fatal(err)
		}
	}
	got := make([]byte, len(want))
	if _, err := io.ReadFull(peer, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("byte %d of %d is %q, want %q", i, len(want), got[i], want[i])
			}
		}
	}
	waitFor(t, "every frame's done", func() bool { return done.Load() == int32(len(frames)) })
}

// TestOutFrameParts checks the pieces left to write at every offset.
func TestOutFrameParts(t *testing.T) {
	head := []byte("HH")
	f := outFrame{buf: &head, body: []byte("b"), bodies: [][]byte{[]byte("xy"), nil, []byte("z")}}
	whole := "HHbxyz"
	if f.size() != len(whole) {
		t.Fatalf("size %d, want %d", f.size(), len(whole))
	}
	for off := 0; off <= len(whole); off++ {
		f.off = off
		parts := f.appendParts(nil)
		for _, p := range parts {
			if len(p) == 0 {
				t.Fatalf("offset %d: empty piece in %q", off, parts)
			}
		}
		if got := string(bytes.Join(parts, nil)); got != whole[off:] {
			t.Fatalf("offset %d: pieces %q, want %q", off, got, whole[off:])
		}
	}
}

// TestRemoteAddrPort checks that a connection reports its peer's TCP
// address as the peer sees its own local address.
func TestRemoteAddrPort(t *testing.T) {
	const codeAddr = 4101
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Register(codeAddr, "default", HandlerFunc(func(_ context.Context, c *Conn, req *Command) *Command {
			return NewResponse(req, ResponseSuccess, c.RemoteAddrPort().String())
		}))
	})
	r := dialRaw(t, s.addr)
	r.write(NewRequest(codeAddr, nil, nil))
	resp := r.read()
	if want := r.nc.LocalAddr().String(); resp.Remark != want {
		t.Fatalf("RemoteAddrPort %q, want the peer's local address %q", resp.Remark, want)
	}
}
