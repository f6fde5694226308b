// Package harness builds the saturn binary and runs it as a child process on
// loopback ports for the interop tests, so that the official RocketMQ clients
// talk to a real Saturn process exactly as users' applications would.
package harness
