// Package remoting implements Apache RocketMQ's remoting protocol: the frame
// codec with both header serializations (JSON and the compact ROCKETMQ binary
// form), the request and response codes, a TCP server that dispatches requests
// to handlers by code, and a client with per-address connection pools.
//
// The package knows nothing of brokers, name servers or messages: it moves
// Commands between processes and nothing else.
package remoting
