// Package remoting implements Apache RocketMQ's remoting protocol: the frame
// codec with both header serializations (JSON and the compact ROCKETMQ binary
// form), the request and response codes, a TCP server that dispatches requests
// to handlers by code, and a client with per-address connection pools.
//
// The package knows nothing of brokers, name servers or messages: it moves
// Commands between processes and nothing else.
//
// Concurrency model: every connection has one reader goroutine, which reads
// into large chunks and decodes every whole frame a read brought (frames are
// slices of the chunk, not copies; chunks grow for connections that send
// large frames), and one writer goroutine, which writes everything queued
// since its last write with one writev (large response bodies, and the
// pieces of a frame queued with a list of bodies, as their own iovecs,
// uncopied). A response with nothing to coalesce with (no other
// request of its connection in a worker, nothing queued) is written by the
// goroutine that produced it, with one non-blocking writev; what the socket
// does not take goes to the writer. Requests run in
// bounded worker pools, one per handler group (Server.RegisterGroup); a full
// pool answers SYSTEM_BUSY at once rather than queueing without bound.
// Responses are matched to their requests by opaque.
//
// Memory contract: a request's Body may be kept by its handler (it keeps its
// read chunk alive), except for codes marked with Server.ReuseBodies, whose
// handlers only borrow it until they return: their chunks are reused for
// later reads instead of being left to the collector. A response's Body must not change once returned or
// passed to WriteResponse, and Command.Written says when it is no longer
// used; the ExtFields maps of requests served by RegisterTransient handlers
// are reused once the handler returned a response. Handlers registered with
// RegisterFields get their custom header as a list (Command.Fields), which
// costs no map; responses may carry one too.
//
// Malformed input (an oversized frame, a negative or inconsistent length, an
// unknown serialization, an undecodable header) closes only the connection it
// came on, with one warning in the log naming the peer and the problem.
package remoting
