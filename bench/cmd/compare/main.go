// Command compare runs the same workloads on Saturn and on peer brokers
// (NATS JetStream, optionally RabbitMQ) on this machine, one broker at a
// time, and prints one table: throughput and publish latency of
// acknowledged sends, consume rate, the broker's CPU per message and the
// ratio Saturn/peer. Every broker is driven by the same engine
// (github.com/saturnmq/saturn/loadgen) with the same concurrency, and every
// cell starts a fresh broker on 127.0.0.1 with an empty data directory.
//
// Run it through bench/run.sh, which builds and installs what is missing.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// options are the command-line settings.
type options struct {
	saturnBin  string
	saturnSets []string
	natsBin    string
	rabbitBin  string
	peers      []string
	durability []string
	sizes      []int
	producers  []int
	inFlight   int
	duration   time.Duration
	warmup     time.Duration
	runs       int
	extras     bool
	queues     int
	jsonOut    string
	workDir    string
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

// toolGCPercent is the load generator's GC target unless GOGC is set: the
// same as `saturn bench` (see cmd/saturn/gc.go), for every peer alike,
// since they all share this process.
const toolGCPercent = 400

func run() error {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(toolGCPercent)
	}
	o := options{}
	var peers, durability, sizes, producers string
	flag.StringVar(&o.saturnBin, "saturn", "saturn", "saturn binary")
	flag.Func("saturn-set", "extra broker.conf key=value for Saturn (repeatable), for experiments", func(v string) error {
		o.saturnSets = append(o.saturnSets, v)
		return nil
	})
	flag.StringVar(&o.natsBin, "nats-server", "nats-server", "nats-server binary (v2.10+ for sync_interval)")
	flag.StringVar(&o.rabbitBin, "rabbitmq-server", "rabbitmq-server", "rabbitmq-server script (Debian's package)")
	flag.StringVar(&peers, "peers", "saturn,nats", "brokers to run: saturn, nats, rabbitmq")
	flag.StringVar(&durability, "durability", "async,sync", "durability classes: async (ack before fsync), sync (ack after fsync)")
	flag.StringVar(&sizes, "sizes", "1024,128", "message sizes in bytes")
	flag.StringVar(&producers, "producers", "4,32", "concurrent senders")
	flag.IntVar(&o.inFlight, "in-flight", 256, "unacknowledged sends per sender")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "measured sending time per cell")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured sending before it")
	flag.IntVar(&o.runs, "runs", 1, "repetitions of every cell (medians are reported)")
	flag.BoolVar(&o.extras, "extras", true, "also run the batch, half-peak latency and end-to-end latency rows")
	flag.IntVar(&o.queues, "queues", 8, "queues of Saturn's topic (JetStream: one stream; RabbitMQ: one queue)")
	flag.StringVar(&o.jsonOut, "json", "", "also write all results to this JSON file")
	flag.StringVar(&o.workDir, "workdir", "", "directory for the brokers' data (default: a new temporary directory)")
	flag.Parse()

	o.peers = splitList(peers)
	o.durability = splitList(durability)
	var err error
	if o.sizes, err = intList(sizes); err != nil {
		return fmt.Errorf("-sizes: %w", err)
	}
	if o.producers, err = intList(producers); err != nil {
		return fmt.Errorf("-producers: %w", err)
	}
	for _, p := range o.peers {
		if p != "saturn" && p != "nats" && p != "rabbitmq" {
			return fmt.Errorf("-peers: %q: %w", p, errUnknownPeer)
		}
	}
	for _, d := range o.durability {
		if d != "async" && d != "sync" {
			return fmt.Errorf("-durability %q: want async or sync", d)
		}
	}
	if o.runs < 1 {
		return fmt.Errorf("-runs must be at least 1")
	}
	if o.workDir == "" {
		if o.workDir, err = os.MkdirTemp("", "saturn-compare-"); err != nil {
			return err
		}
		defer os.RemoveAll(o.workDir)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r := &runner{o: o}
	rows, err := r.all(ctx)
	printTable(os.Stdout, rows, o)
	if o.jsonOut != "" {
		b, jerr := json.MarshalIndent(map[string]any{"machine": machineInfo(), "options": optionsJSON(o), "rows": rows}, "", "  ")
		if jerr == nil {
			jerr = os.WriteFile(o.jsonOut, b, 0o644)
		}
		if jerr != nil {
			fmt.Fprintln(os.Stderr, "compare: writing JSON:", jerr)
		}
	}
	return err
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func intList(s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q: want a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func optionsJSON(o options) map[string]any {
	return map[string]any{
		"peers": o.peers, "durability": o.durability, "sizes": o.sizes, "producers": o.producers,
		"in_flight": o.inFlight, "duration_s": o.duration.Seconds(), "warmup_s": o.warmup.Seconds(),
		"runs": o.runs, "queues": o.queues, "saturn_set": o.saturnSets,
	}
}

// machineInfo records what the numbers were measured on.
func machineInfo() map[string]any {
	info := map[string]any{}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		n := 0
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "processor") {
				n++
			}
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				info["cpu"] = strings.TrimSpace(v)
			}
		}
		info["cpus"] = n
	}
	info["time"] = time.Now().UTC().Format(time.RFC3339)
	return info
}
