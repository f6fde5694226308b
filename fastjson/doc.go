// Package fastjson reads and writes the JSON dialect that RocketMQ's Java
// processes produce with the fastjson library, so that Saturn's name server,
// broker and client can exchange bodies and files with them.
//
// The dialect is JSON plus three liberties: map keys that are numbers (or
// booleans) are written without quotes ({0:"addr"}), maps keyed by beans
// have objects as keys ({{"topic":"T","queueId":0}:42}), and numeric or
// boolean members may arrive as strings ("8", "true"). Two ways in:
//
//   - Unmarshal quotes bare keys (QuoteBareKeys) and hands the text to
//     encoding/json; LenientInt64, LenientInt32 and LenientBool absorb the
//     string forms. Use it when the shape is known and keys are scalars.
//   - Parse builds a small value tree that also holds object keys. Use it for
//     the bodies that have them (offset tables keyed by queue).
//
// AppendString writes a JSON string literal for hand-written encoders.
//
// The package imports nothing else of Saturn's.
package fastjson
