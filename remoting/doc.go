// Package remoting implements Apache RocketMQ's remoting protocol: the frame
// codec with both header serializations (JSON and the compact ROCKETMQ binary
// form), the request and response codes, a TCP server that dispatches requests
// to handlers by code, and a client with per-address connection pools.
//
// The package knows nothing of brokers, name servers or messages: it moves
// Commands between processes and nothing else.
//
// Concurrency model: every connection has one reader goroutine, which decodes
// frames from a large buffered reader, and one writer goroutine, which writes
// everything queued since its last write with one writev. Requests run in
// bounded worker pools, one per handler group (Server.RegisterGroup); a full
// pool answers SYSTEM_BUSY at once rather than queueing without bound.
// Responses are matched to their requests by opaque.
//
// Malformed input (an oversized frame, a negative or inconsistent length, an
// unknown serialization, an undecodable header) closes only the connection it
// came on, with one warning in the log naming the peer and the problem.
package remoting
