package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/saturnmq/saturn/internal/tracewindow"
	"github.com/saturnmq/saturn/loadgen"
)

// benchFlags are the settings shared by the bench subcommands.
type benchFlags struct {
	namesrv      string
	topic        string
	group        string
	queues       int
	size         int
	producers    int
	inFlight     int
	batch        int
	consumers    int
	messages     int64
	duration     time.Duration
	maxDuration  time.Duration
	rate         float64
	warmup       time.Duration
	drainTimeout time.Duration
	idleTimeout  time.Duration
	flushMode    string
	output       string
	brokerPID    int
	jsonHeaders  bool
	sendTimeout  time.Duration
	quiet        bool
	cpuProfile   string
	traceFile    string
	traceStart   time.Duration
	traceFor     time.Duration
}

func newBenchCommand(opts *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure a broker: throughput and latency of producing, consuming, or both",
		Long: `bench drives a Saturn (or any RocketMQ) broker with a bounded workload and reports
messages/s, MB/s (10^6 bytes), latency percentiles from an HDR histogram and errors by kind.
Progress is printed every second. A run ends by itself: after --messages, after --duration
(default 10s when --messages is not given), and never later than --max-duration.

With --rate, latency is measured from each message's intended send time, so a stalled
broker shows up as latency rather than as a lower offered load. End-to-end latency is
measured from the send time written into each body (nanoseconds) to its receipt.

The clients' own logs are limited to errors unless --log-level is given: failed sends
are counted by kind in the report instead.`,
	}
	cmd.AddCommand(
		newBenchModeCommand(opts, loadgen.ModeProduce, "Send messages and measure publish throughput and latency"),
		newBenchModeCommand(opts, loadgen.ModeConsume, "Consume what a topic holds (from its oldest message, in a new group) and measure the rate"),
		newBenchModeCommand(opts, loadgen.ModeE2E, "Produce and consume at once and measure end-to-end latency"),
	)
	return cmd
}

func newBenchModeCommand(opts *globalOptions, mode loadgen.Mode, short string) *cobra.Command {
	f := &benchFlags{}
	cmd := &cobra.Command{
		Use:   string(mode),
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBench(cmd, opts, mode, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.namesrv, "namesrv", "127.0.0.1:9876", "name server address(es), separated by ';' or ','")
	fl.StringVar(&f.topic, "topic", "BenchTopic", "topic to use (created with --queues queues unless in consume mode)")
	fl.IntVar(&f.queues, "queues", loadgen.DefaultQueues, "queues of the topic")
	fl.IntVar(&f.size, "size", loadgen.DefaultMessageSize, fmt.Sprintf("message body size in bytes (at least %d)", loadgen.HeaderSize))
	fl.Int64Var(&f.messages, "messages", 0, "total messages to send (produce, e2e) or receive (consume); 0 = bounded by --duration")
	fl.DurationVar(&f.duration, "duration", 0, "how long to send (or receive); default 10s when --messages is 0")
	fl.DurationVar(&f.maxDuration, "max-duration", loadgen.DefaultMaxDuration, "hard limit of the run whatever else is set")
	fl.DurationVar(&f.drainTimeout, "drain-timeout", loadgen.DefaultDrainTimeout, "how long to wait for outstanding acknowledgements (and, in e2e, for receivers to catch up)")
	fl.StringVar(&f.output, "output", "text", "result format: text or json (json: progress goes to stderr)")
	fl.StringVar(&f.flushMode, "flush-mode", "", "label for the broker's flush setting in the report (ASYNC_FLUSH or SYNC_FLUSH); the broker decides, this only records it")
	fl.IntVar(&f.brokerPID, "broker-pid", 0, "pid of the broker process on this machine; reports its CPU time per message (Linux)")
	fl.BoolVar(&f.jsonHeaders, "json-headers", false, "send request headers as JSON (RocketMQ clients' default) instead of the binary form")
	fl.BoolVar(&f.quiet, "quiet", false, "no progress lines")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the load tool itself to this file")
	fl.StringVar(&f.traceFile, "trace", "", "write a Go execution trace of the load tool itself to this file, for latency work (see --trace-start, --trace-for)")
	fl.DurationVar(&f.traceStart, "trace-start", 0, "start the --trace window this long after the run started")
	fl.DurationVar(&f.traceFor, "trace-for", 2*time.Second, "length of the --trace window")
	if mode != loadgen.ModeConsume {
		fl.IntVar(&f.producers, "producers", loadgen.DefaultProducers, "concurrent senders, each with its own connection")
		fl.IntVar(&f.inFlight, "in-flight", loadgen.DefaultInFlight, "unacknowledged sends each sender keeps at most")
		fl.IntVar(&f.batch, "batch", 1, "messages per send; above 1 each send is one batch request")
		fl.Float64Var(&f.rate, "rate", 0, "target rate in messages/s over all senders; 0 = as fast as possible")
		fl.DurationVar(&f.warmup, "warmup", 0, "initial period whose sends are not measured")
		fl.DurationVar(&f.sendTimeout, "send-timeout", 0, "timeout of one send, retries included (default 3s)")
	}
	if mode != loadgen.ModeProduce {
		fl.IntVar(&f.consumers, "consumers", loadgen.DefaultConsumers, "consumers in the group, each with its own connection")
		fl.StringVar(&f.group, "group", "", "consumer group (default: a new group per run)")
	}
	if mode == loadgen.ModeConsume {
		fl.DurationVar(&f.idleTimeout, "idle-timeout", loadgen.DefaultIdleTimeout, "stop when nothing arrived for this long")
	}
	return cmd
}

func runBench(cmd *cobra.Command, opts *globalOptions, mode loadgen.Mode, f *benchFlags) error {
	if f.output != "text" && f.output != "json" {
		return fmt.Errorf("--output %q: want text or json", f.output)
	}
	logger, err := opts.logger()
	if err != nil {
		return err
	}
	// The clients log retries, reconnects and routes not found yet; during
	// a benchmark failures are counted in the report, so by default only
	// errors are worth a line.
	if !cmd.Flags().Changed("log-level") {
		logger = slog.New(levelFloor{logger.Handler(), slog.LevelError})
	}
	var nameServers []string
	for _, a := range strings.FieldsFunc(f.namesrv, func(r rune) bool { return r == ';' || r == ',' }) {
		nameServers = append(nameServers, strings.TrimSpace(a))
	}
	target, err := loadgen.NewSaturnTarget(loadgen.SaturnConfig{
		NameServers: nameServers,
		JSONHeaders: f.jsonHeaders,
		SendTimeout: f.sendTimeout,
		Logger:      logger,
	})
	if err != nil {
		return err
	}
	cfg := loadgen.Config{
		Mode: mode, Topic: f.topic, Group: f.group, Queues: f.queues, MessageSize: f.size,
		Producers: f.producers, InFlight: f.inFlight, Batch: f.batch, Consumers: f.consumers,
		Messages: f.messages, Duration: f.duration, MaxDuration: f.maxDuration, Rate: f.rate,
		Warmup: f.warmup, DrainTimeout: f.drainTimeout, IdleTimeout: f.idleTimeout,
	}
	stdout := cmd.OutOrStdout()
	progressOut := stdout
	if f.output == "json" {
		progressOut = cmd.ErrOrStderr()
	}
	var progress func(loadgen.Progress)
	if !f.quiet {
		progress = func(p loadgen.Progress) { fmt.Fprintln(progressOut, loadgen.FormatProgress(p, mode)) }
	}

	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var cpuBefore time.Duration
	if f.brokerPID > 0 {
		if cpuBefore, err = loadgen.ProcessCPU(f.brokerPID); err != nil {
			return fmt.Errorf("--broker-pid: %w", err)
		}
	}
	if f.cpuProfile != "" {
		pf, err := os.Create(f.cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if f.traceFile != "" {
		traceCtx, endTrace := context.WithCancel(ctx)
		traceDone := make(chan error, 1)
		go func() { traceDone <- tracewindow.Write(traceCtx, f.traceFile, f.traceStart, f.traceFor) }()
		defer func() {
			endTrace()
			if err := <-traceDone; err != nil {
				logger.Error("bench: --trace", "err", err)
			}
		}()
	}
	start := time.Now()
	res, err := loadgen.Run(ctx, cfg, target, progress)
	if err != nil {
		return err
	}
	res.FlushMode = f.flushMode
	if f.brokerPID > 0 {
		cpuAfter, err := loadgen.ProcessCPU(f.brokerPID)
		if err != nil {
			return fmt.Errorf("--broker-pid: %w", err)
		}
		res.BrokerCPU = loadgen.NewCPUUsage(f.brokerPID, cpuAfter-cpuBefore, time.Since(start), res.Messages())
	}
	return writeBenchResult(stdout, f.output, res)
}

func writeBenchResult(w io.Writer, format string, res *loadgen.Result) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return loadgen.WriteText(w, res)
}

// levelFloor drops records below a minimum level.
type levelFloor struct {
	slog.Handler
	min slog.Level
}

func (h levelFloor) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h levelFloor) WithAttrs(attrs []slog.Attr) slog.Handler {
	return levelFloor{h.Handler.WithAttrs(attrs), h.min}
}

func (h levelFloor) WithGroup(name string) slog.Handler {
	return levelFloor{h.Handler.WithGroup(name), h.min}
}
