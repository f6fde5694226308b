package remoting

import (
	"errors"
	"strconv"
)

// Sentinel errors. Errors returned by this package wrap one of them, so
// callers test with errors.Is; frame errors are *FrameError values that also
// say what exactly was wrong and where.
var (
	// ErrFrameTooLarge: a frame's total length exceeds the configured maximum.
	ErrFrameTooLarge = errors.New("remoting: frame too large")
	// ErrBadLength: a length field is negative or inconsistent with the bytes
	// that are there.
	ErrBadLength = errors.New("remoting: bad length")
	// ErrUnknownSerializeType: the serialize-type byte of the header-length
	// word is neither 0 (JSON) nor 1 (ROCKETMQ).
	ErrUnknownSerializeType = errors.New("remoting: unknown serialize type")
	// ErrBadHeader: the header cannot be decoded.
	ErrBadHeader = errors.New("remoting: undecodable header")
	// ErrNotEncodable: a command cannot be represented in the requested
	// serialization (a code or version outside 16 bits in a binary header, an
	// ext key longer than 32767 bytes, a header longer than 2^24-1 bytes).
	ErrNotEncodable = errors.New("remoting: command not encodable")

	// ErrTimeout: a call got no response before its context's deadline. The
	// error also wraps context.DeadlineExceeded.
	ErrTimeout = errors.New("remoting: call timed out")
	// ErrConnClosed: the connection is closed or broke while a call waited.
	ErrConnClosed = errors.New("remoting: connection closed")
	// ErrServerClosed: the server is shut down or shutting down.
	ErrServerClosed = errors.New("remoting: server closed")
	// ErrClientClosed: the client is closed.
	ErrClientClosed = errors.New("remoting: client closed")
)

// FrameError describes malformed input or a command that cannot be encoded.
// Kind is one of the sentinel errors above; errors.Is(err, ErrBadHeader) and
// the like work through Unwrap.
type FrameError struct {
	Kind   error  // sentinel: ErrFrameTooLarge, ErrBadLength, ErrBadHeader, ...
	Offset int    // byte offset in the header (or frame) where the problem is; -1 if none
	Detail string // what exactly is wrong
}

// Error describes the problem in one line.
func (e *FrameError) Error() string {
	s := e.Kind.Error() + ": " + e.Detail
	if e.Offset >= 0 {
		s += " (at byte " + strconv.Itoa(e.Offset) + ")"
	}
	return s
}

// Unwrap returns Kind.
func (e *FrameError) Unwrap() error { return e.Kind }

func frameErr(kind error, off int, detail string) *FrameError {
	return &FrameError{Kind: kind, Offset: off, Detail: detail}
}
