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
	rc    syscall.RawConn
	fn    func(fd uintptr) bool // bound once: rc.Write takes a func value
	parts [][]byte              // scratch for the frame's pieces
	iov   []syscall.Iovec
	n     int
	err   syscall.Errno
}

// maxDirectIov bounds the pieces of one direct write (the kernel's
// IOV_MAX is 1024); a frame with more is finished by later writes.
const maxDirectIov = 1024

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
	d.iov = make([]syscall.Iovec, 0, 2)
}

// ok reports whether direct writes are possible on this connection.
func (d *directWriter) ok() bool { return d.rc != nil }

// write writes what is left of f (from f.off) once and returns how many
// bytes went out; 0 when the socket buffer is full. The caller owns the
// connection's writing, which also guards d.
func (d *directWriter) write(f *outFrame) (int, error) {
	d.parts = f.appendParts(d.parts[:0])
	d.iov = d.iov[:0]
	for _, b := range d.parts[:min(len(d.parts), maxDirectIov)] {
		v := syscall.Iovec{Base: &b[0]}
		v.SetLen(len(b))
		d.iov = append(d.iov, v)
	}
	clear(d.parts) // do not keep the buffers reachable
	if len(d.iov) == 0 {
		return 0, nil // nothing left to write
	}
	d.n, d.err = 0, 0
	err := d.rc.Write(d.fn)
	clear(d.iov)
	if err != nil {
		return 0, err
	}
	switch d.err {
	case 0:
		return d.n, nil
	case syscall.EAGAIN:
		return 0, nil
	}
	return 0, os.NewSyscallError("writev", d.err)
}

// writev is the raw write; it never asks to wait (returns true).
func (d *directWriter) writev(fd uintptr) bool {
	for {
		n, _, errno := syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&d.iov[0])), uintptr(len(d.iov)))
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
