// Package broker is Saturn's message broker: it serves RocketMQ producers,
// consumers and admin tools over the remoting protocol, keeps topic, group and
// consumer-offset metadata next to the message store, and registers itself
// with the name servers.
//
// The request handlers are grouped as upstream groups its thread pools: sends,
// pulls, heartbeats, consumer-management calls and admin calls each run in a
// bounded worker group of the remoting server, so a flood of one kind cannot
// starve the others and a full queue answers SYSTEM_BUSY instead of growing.
// Pulls that find nothing are parked (long polling) and woken by the store
// when a message arrives for their queue.
//
// Topic, subscription-group and offset tables live in broker/meta, client
// bookkeeping in broker/clients; this package wires them to the network.
package broker
