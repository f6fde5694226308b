// Package loadgen is the engine of `saturn bench`: it drives a message broker
// with a bounded, optionally rate-limited workload and measures what it gets
// back.
//
// The engine knows nothing of a particular broker. A Target supplies Senders
// (asynchronous, acknowledged sends of one message or a batch) and Receivers
// (consumers that hand every received body to the engine); SaturnTarget is
// the one for Saturn, other brokers implement the same interface elsewhere so
// that every broker is driven by the same code.
//
// Measurement rules:
//   - Latencies go into HDR histograms (nanosecond resolution, 3 significant
//     digits).
//   - With a target rate, a send's latency is measured from the time the
//     schedule intended it to start, not from when it actually started, so a
//     stalled broker shows up as latency instead of silently lowering the
//     offered load (coordinated omission).
//   - Every body starts with a small header (magic, run id, intended send
//     time in nanoseconds) so that receivers measure end-to-end latency with
//     more than the millisecond resolution of RocketMQ's born timestamp, and
//     ignore messages left over from earlier runs.
//   - Every run is bounded: by a message count, a duration, or both, plus a
//     hard cap; draining after the senders stop has its own timeout.
package loadgen
