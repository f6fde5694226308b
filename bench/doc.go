// Package bench holds Saturn's side-by-side benchmarks against peer brokers:
// cmd/compare runs the same workloads on Saturn, NATS JetStream and RabbitMQ,
// cmd/saturnprof runs Saturn with a CPU profile, and run.sh ties them
// together. It is a module of its own because it needs the peers' client
// libraries. Its tests drive a real `saturn serve` with `saturn bench`.
package bench
