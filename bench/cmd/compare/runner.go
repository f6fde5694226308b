package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/saturnmq/saturn/loadgen"
)

// Workload kinds.
const (
	kindPeak     = "peak"      // as fast as the windows allow
	kindBatch    = "batch"     // Saturn batch sends
	kindHalfPeak = "half-peak" // fixed rate at half of the measured peak
	kindE2E      = "e2e"       // produce and consume at once, fixed rate
)

// e2eRate is the rate of the end-to-end latency rows.
const e2eRate = 5000

// sendTimeout bounds one acknowledged send on every peer alike. It is long
// because the sync rows keep thousands of sends in flight against brokers
// that fsync each message: a send that waits there is slow, not lost.
const sendTimeout = 30 * time.Second

// cell is one workload on one broker with one durability setting.
type cell struct {
	Peer       string  `json:"peer"`
	Durability string  `json:"durability"` // async or sync
	Kind       string  `json:"kind"`
	Size       int     `json:"size"`
	Producers  int     `json:"producers"`
	InFlight   int     `json:"in_flight"`
	Batch      int     `json:"batch"`
	Rate       float64 `json:"rate,omitempty"`
}

// measurement is one run of a cell.
type measurement struct {
	SendRate    float64 `json:"send_per_s"`
	MBps        float64 `json:"mb_per_s"`
	P50         float64 `json:"p50_us"`
	P99         float64 `json:"p99_us"`
	P999        float64 `json:"p99_9_us"`
	ConsumeRate float64 `json:"consume_per_s"`
	E2EP50      float64 `json:"e2e_p50_us,omitempty"`
	E2EP99      float64 `json:"e2e_p99_us,omitempty"`
	CPUPerMsg   float64 `json:"broker_cpu_us_per_msg"`
	// ToolCPUPerMsg is the load tool's own CPU per message (clients of
	// both sides), which shares the machine with the broker.
	ToolCPUPerMsg float64 `json:"tool_cpu_us_per_msg"`
	// StealPct is the share of the machine's CPU time the hypervisor
	// took while the workload ran (not during the drain): a row measured
	// with much of it stolen says more about the host than the peer.
	StealPct float64          `json:"steal_pct"`
	Failed   int64            `json:"failed"`
	Missing  int64            `json:"missing"`
	Errors   map[string]int64 `json:"errors,omitempty"`
}

// row is a cell with the medians of its runs.
type row struct {
	cell
	DurabilityNote string        `json:"durability_note"`
	Median         measurement   `json:"median"`
	Runs           []measurement `json:"runs"`
	// Ratio is Saturn's median throughput over this peer's in the same
	// workload and durability class (0 on Saturn's rows or when there is
	// nothing to compare).
	Ratio float64 `json:"saturn_ratio,omitempty"`
	Err   string  `json:"error,omitempty"`
}

type runner struct {
	o   options
	seq int
}

// durabilityNote states what an acknowledgement means for a peer.
func durabilityNote(peer, durability string) string {
	switch peer + "/" + durability {
	case "saturn/async":
		return "ASYNC_FLUSH: ack after write to page cache, flush every 500 ms"
	case "saturn/sync":
		return "SYNC_FLUSH: ack after fsync (group commit)"
	case "nats/async":
		return "JetStream default: ack before fsync (sync_interval 2 min)"
	case "nats/sync":
		return "JetStream sync_interval: always (fsync per message)"
	case "rabbitmq/sync":
		return "quorum queue, confirm after fsync (batched)"
	}
	return durability
}

// peersFor returns the selected peers that have a setting of the class.
func (r *runner) peersFor(durability string) []string {
	var out []string
	for _, p := range r.o.peers {
		if p == "rabbitmq" && durability != "sync" {
			continue // a quorum queue always fsyncs before confirming
		}
		out = append(out, p)
	}
	return out
}

// all runs every cell o.runs times, interleaving the peers so that drifts
// of a noisy machine hit all of them alike, and returns one row per cell.
func (r *runner) all(ctx context.Context) ([]*row, error) {
	var rows []*row
	add := func(c cell) *row {
		rw := &row{cell: c, DurabilityNote: durabilityNote(c.Peer, c.Durability)}
		rows = append(rows, rw)
		return rw
	}
	var main []*row
	for _, d := range r.o.durability {
		for _, size := range r.o.sizes {
			for _, p := range r.o.producers {
				for _, peer := range r.peersFor(d) {
					main = append(main, add(cell{Peer: peer, Durability: d, Kind: kindPeak, Size: size,
						Producers: p, InFlight: r.o.inFlight, Batch: 1}))
				}
			}
		}
	}
	var extra []*row
	if r.o.extras && slices.Contains(r.o.peers, "saturn") {
		extra = append(extra, add(cell{Peer: "saturn", Durability: "async", Kind: kindBatch, Size: 1024,
			Producers: 4, InFlight: 16, Batch: 64}))
		if slices.Contains(r.o.durability, "sync") {
			extra = append(extra, add(cell{Peer: "saturn", Durability: "sync", Kind: kindBatch, Size: 1024,
				Producers: 4, InFlight: 16, Batch: 64}))
		}
	}
	var e2e []*row
	if r.o.extras {
		for _, peer := range r.peersFor("async") {
			e2e = append(e2e, add(cell{Peer: peer, Durability: "async", Kind: kindE2E, Size: 1024,
				Producers: 4, InFlight: r.o.inFlight, Batch: 1, Rate: e2eRate}))
		}
	}
	var firstErr error
	exec := func(ctx context.Context, rw *row, run int) {
		if rw.Err != "" || ctx.Err() != nil {
			return
		}
		fmt.Fprintf(os.Stderr, "run %d/%d: %s %s %s %dB x%d batch %d rate %.0f ... ", run+1, r.o.runs,
			rw.Peer, rw.Durability, rw.Kind, rw.Size, rw.Producers, rw.Batch, rw.Rate)
		m, err := r.measure(ctx, rw.cell)
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			rw.Err = err.Error()
			if firstErr == nil {
				firstErr = fmt.Errorf("%s %s %s: %w", rw.Peer, rw.Durability, rw.Kind, err)
			}
			return
		}
		fmt.Fprintf(os.Stderr, "%.0f msg/s, p99 %.0f µs, consume %.0f msg/s, CPU µs/msg broker %.1f tool %.1f\n",
			m.SendRate, m.P99, m.ConsumeRate, m.CPUPerMsg, m.ToolCPUPerMsg)
		rw.Runs = append(rw.Runs, m)
	}
	for run := range r.o.runs {
		for _, rw := range main {
			exec(ctx, rw, run)
		}
		for _, rw := range extra {
			exec(ctx, rw, run)
		}
	}
	for _, rw := range main {
		rw.Median = median(rw.Runs)
	}
	// Latency at half of the peak each peer reached with 1 KiB and 4
	// senders without fsync.
	var half []*row
	if r.o.extras {
		for _, rw := range main {
			if rw.Durability == "async" && rw.Size == 1024 && rw.Producers == 4 && rw.Median.SendRate > 0 {
				c := rw.cell
				c.Kind, c.Rate = kindHalfPeak, float64(int(rw.Median.SendRate/2))
				half = append(half, add(c))
			}
		}
	}
	for run := range r.o.runs {
		for _, rw := range half {
			exec(ctx, rw, run)
		}
		for _, rw := range e2e {
			exec(ctx, rw, run)
		}
	}
	for _, rw := range rows {
		rw.Median = median(rw.Runs)
	}
	setRatios(rows)
	return rows, errors.Join(firstErr, ctx.Err())
}

// measure starts a fresh broker for c, runs the workload (sending, then
// draining what was sent, or both at once for e2e) and stops the broker.
func (r *runner) measure(ctx context.Context, c cell) (measurement, error) {
	r.seq++
	dir := filepath.Join(r.o.workDir, fmt.Sprintf("%03d-%s", r.seq, c.Peer))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return measurement{}, err
	}
	srv, target, err := r.start(ctx, c, dir)
	if err != nil {
		return measurement{}, err
	}
	defer srv.stop()
	topic := fmt.Sprintf("bench%d", r.seq)
	cfg := loadgen.Config{
		Topic: topic, Queues: r.o.queues, MessageSize: c.Size, Producers: c.Producers,
		InFlight: c.InFlight, Batch: c.Batch, Rate: c.Rate,
		Duration: r.o.warmup + r.o.duration, Warmup: r.o.warmup, ReportInterval: -1,
	}
	if c.Kind == kindE2E {
		cfg.Mode = loadgen.ModeE2E
	} else {
		cfg.Mode = loadgen.ModeProduce
	}
	cpu0, err := treeCPU(srv.pid())
	if err != nil {
		return measurement{}, err
	}
	self0, err := loadgen.ProcessCPU(os.Getpid())
	if err != nil {
		return measurement{}, err
	}
	res, err := loadgen.Run(ctx, cfg, target, nil)
	if err != nil {
		return measurement{}, err
	}
	m := measurement{
		SendRate: res.Send.Rate, MBps: res.Send.MBps, P50: res.Send.Latency.P50,
		P99: res.Send.Latency.P99, P999: res.Send.Latency.P999, Failed: res.Send.Failed, Errors: res.Send.Errors,
	}
	if res.Machine != nil {
		m.StealPct = res.Machine.StealPct
	}
	produced := res.Send.Messages + res.Send.Warmup
	if c.Kind == kindE2E {
		m.ConsumeRate = res.Receive.Rate
		m.E2EP50, m.E2EP99 = res.Receive.Latency.P50, res.Receive.Latency.P99
		m.Missing = res.Receive.Missing
	} else if produced > 0 {
		cons, err := loadgen.Run(ctx, loadgen.Config{
			Mode: loadgen.ModeConsume, Topic: topic, MessageSize: c.Size, Messages: produced,
			Duration: 5 * time.Minute, IdleTimeout: 10 * time.Second, ReportInterval: -1,
		}, target, nil)
		if err != nil {
			return m, fmt.Errorf("consume: %w", err)
		}
		m.ConsumeRate = cons.Receive.Rate
		m.Missing = max(0, produced-cons.Receive.Messages)
	}
	cpu1, err := treeCPU(srv.pid())
	if err != nil {
		return m, err
	}
	self1, err := loadgen.ProcessCPU(os.Getpid())
	if err != nil {
		return m, err
	}
	if produced > 0 {
		m.CPUPerMsg = float64((cpu1 - cpu0).Microseconds()) / float64(produced)
		m.ToolCPUPerMsg = float64((self1 - self0).Microseconds()) / float64(produced)
	}
	_ = target.Close(ctx)
	return m, nil
}

// start starts the broker of c and returns it with its load target.
func (r *runner) start(ctx context.Context, c cell, dir string) (*server, loadgen.Target, error) {
	switch c.Peer {
	case "saturn":
		flush := "ASYNC_FLUSH"
		if c.Durability == "sync" {
			flush = "SYNC_FLUSH"
		}
		srv, err := startSaturn(ctx, r.o.saturnBin, dir, flush, r.o.saturnSets)
		if err != nil {
			return nil, nil, err
		}
		t, err := loadgen.NewSaturnTarget(loadgen.SaturnConfig{NameServers: []string{srv.addr}, SendTimeout: sendTimeout, Logger: quietLogger()})
		if err != nil {
			srv.stop()
			return nil, nil, err
		}
		return srv, t, nil
	case "nats":
		srv, err := startNATS(ctx, r.o.natsBin, dir, c.Durability == "sync")
		if err != nil {
			return nil, nil, err
		}
		return srv, &natsTarget{url: "nats://" + srv.addr, inFlight: c.InFlight * c.Batch}, nil
	case "rabbitmq":
		return startRabbit(ctx, r.o.rabbitBin, dir, c)
	}
	return nil, nil, errUnknownPeer
}
