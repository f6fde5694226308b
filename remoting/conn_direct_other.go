//go:build !unix

package remoting

import "net"

// directWriter is not available on this platform: every frame goes through
// the connection's writer.
type directWriter struct{}

func (d *directWriter) init(net.Conn)                {}
func (d *directWriter) ok() bool                     { return false }
func (d *directWriter) write(*outFrame) (int, error) { return 0, nil }
