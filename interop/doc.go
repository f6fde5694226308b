// Package interop proves Saturn's compatibility with the official Apache
// RocketMQ clients. It is a module of its own so that the product's go.mod
// lists only what the product needs; its tests start real saturn processes.
package interop
