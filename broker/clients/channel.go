package clients

import (
	"net"

	"github.com/saturnmq/saturn/remoting"
)

// Channel is what the Manager needs of a client connection; *remoting.Conn
// satisfies it. Implementations must be comparable (pointers): the Manager
// uses channels as map keys.
type Channel interface {
	RemoteAddr() net.Addr
	// InvokeOneway sends a request that expects no answer. It must not
	// modify req.
	InvokeOneway(req *remoting.Command) error
}

// SDK identifies the client library on a connection: the language and
// version every request header carries. GET_CONSUMER_CONNECTION_LIST and
// GET_PRODUCER_CONNECTION_LIST report them.
type SDK struct {
	Language remoting.LanguageCode
	Version  int32
}

// SDKOf returns the SDK of the client that sent req (normally the
// HEART_BEAT request).
func SDKOf(req *remoting.Command) SDK {
	return SDK{Language: req.Language, Version: req.Version}
}

// addrOf renders a channel's remote address; fakes may have none.
func addrOf(ch Channel) string {
	if a := ch.RemoteAddr(); a != nil {
		return a.String()
	}
	return ""
}
