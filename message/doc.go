// Package message holds Saturn's message model and the binary encodings that
// store, broker and client share: the stored record layout that RocketMQ
// writes to its commit log and sends in pull responses, the batch encoding
// of SEND_BATCH_MESSAGE, the properties string, message identifiers and the
// Java string hash used for tag filtering.
//
// All integers are big-endian. The package imports nothing else of Saturn's
// and keeps no global mutable state.
package message
