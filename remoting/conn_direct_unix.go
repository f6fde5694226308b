//go:build unix

package remoting

import (
	"net"
	"os"
	"syscall"
	"unsafe"
)

// directWriter writes a frame on the caller's goroutine without ever
// waiting for the socket: one writev on the non-blocking descriptor, through
// syscall.RawConn so the runtime's poller is not involved. Whatever the
// socket does not take at once is left to the connection's writer, which
// waits for it (with the write timeout) as usual.
type directWriter struct {
	rc  syscall.RawConn
	fn  func(fd uintptr) bool // bound once: rc.Write takes a func value
	iov [2]syscall.Iovec
	niv int
	n   int
	err syscall.Errno
}

func (d *directWriter) init(nc net.Conn) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	d.rc = rc
	d.fn = d.writev
}

// ok reports whether direct writes are possible on this connection.
func (d *directWriter) ok() bool { return d.rc != nil }

// write writes what is left of f (from f.off) once and returns how many
// bytes went out; 0 when the socket buffer is full. The caller owns the
// connection's writing, which also guards d.
func (d *directWriter) write(f *outFrame) (int, error) {
	head, body := *f.buf, f.body
	d.niv = 0
	if f.off < len(head) {
		d.add(head[f.off:])
	} else {
		body = body[f.off-len(head):]
	}
	if len(body) > 0 {
		d.add(body)
	}
	d.n, d.err = 0, 0
	if err := d.rc.Write(d.fn); err != nil {
		return 0, err
	}
	d.iov = [2]syscall.Iovec{} // do not keep the buffers reachable
	switch d.err {
	case 0:
		return d.n, nil
	case syscall.EAGAIN:
		return 0, nil
	}
	return 0, os.NewSyscallError("writev", d.err)
}

func (d *directWriter) add(b []byte) {
	d.iov[d.niv].Base = &b[0]
	d.iov[d.niv].SetLen(len(b))
	d.niv++
}

// writev is the raw write; it never asks to wait (returns true).
func (d *directWriter) writev(fd uintptr) bool {
	for {
		n, _, errno := syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&d.iov[0])), uintptr(d.niv))
		if errno == syscall.EINTR {
			continue
		}
		if errno == 0 {
			d.n = int(n)
		}
		d.err = errno
		return true
	}
}
