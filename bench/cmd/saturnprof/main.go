// Command saturnprof runs a name server and a broker in one process, as
// `saturn serve` does, and writes a CPU profile of that process: the broker
// under load, without the load generator in the profile. It stops on SIGINT
// or SIGTERM, or after -duration. With -trace it also writes a Go execution
// trace (scheduling, GC, syscalls, blocking) of a window of the run, for
// latency work: -trace-start after the broker started, for -trace-for.
//
//	saturnprof -data-dir /tmp/x -cpuprofile broker.prof -set flushDiskType=SYNC_FLUSH
//	saturnprof -data-dir /tmp/x -trace broker.trace -trace-start 5s -trace-for 2s
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/saturnmq/saturn/broker"
	"github.com/saturnmq/saturn/internal/tracewindow"
	"github.com/saturnmq/saturn/namesrv"
)

// setFlags collects repeated -set key=value flags.
type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, ",") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "saturnprof:", err)
		os.Exit(1)
	}
}

func run() error {
	dataDir := flag.String("data-dir", "", "data directory (required)")
	nsListen := flag.String("namesrv-listen", "127.0.0.1:9876", "name server listen address")
	brokerListen := flag.String("broker-listen", "127.0.0.1:10911", "broker listen host:port")
	profile := flag.String("cpuprofile", "", "CPU profile file (empty: no profile)")
	memProfile := flag.String("memprofile", "", "allocation profile file, written at the end (empty: none)")
	duration := flag.Duration("duration", 10*time.Minute, "stop after this long")
	traceFile := flag.String("trace", "", "execution trace file (empty: no trace)")
	traceStart := flag.Duration("trace-start", 0, "start the trace this long after the broker started")
	traceFor := flag.Duration("trace-for", 2*time.Second, "trace this long (a trace of a busy broker grows by megabytes per second)")
	var sets setFlags
	flag.Var(&sets, "set", "broker.conf key=value (repeatable)")
	flag.Parse()
	if *dataDir == "" {
		return fmt.Errorf("-data-dir is required")
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	ns, err := namesrv.New(namesrv.Config{ListenAddr: *nsListen, DataDir: filepath.Join(*dataDir, "namesrv")}, logger)
	if err != nil {
		return err
	}
	if err := ns.Start(); err != nil {
		return err
	}
	cfg := broker.DefaultConfig()
	cfg.StorePathRootDir = filepath.Join(*dataDir, "broker")
	if err := cfg.Set("namesrvAddr", *nsListen); err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(*brokerListen)
	if err != nil {
		return fmt.Errorf("-broker-listen: %w", err)
	}
	if cfg.ListenPort, err = strconv.Atoi(port); err != nil {
		return fmt.Errorf("-broker-listen: %w", err)
	}
	cfg.ListenHost = host
	for _, kv := range sets {
		k, v, _ := strings.Cut(kv, "=")
		if err := cfg.Set(k, v); err != nil {
			return err
		}
	}
	b, err := broker.New(cfg, logger)
	if err != nil {
		return err
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *memProfile != "" {
		defer func() {
			if err := writeAllocs(*memProfile); err != nil {
				fmt.Fprintln(os.Stderr, "saturnprof: memprofile:", err)
			}
		}()
	}
	if err := b.Start(); err != nil {
		return err
	}
	fmt.Println("ready", b.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *traceFile != "" {
		traceDone := make(chan error, 1)
		go func() { traceDone <- tracewindow.Write(ctx, *traceFile, *traceStart, *traceFor) }()
		defer func() {
			stop() // ends a window still open
			if err := <-traceDone; err != nil {
				fmt.Fprintln(os.Stderr, "saturnprof: trace:", err)
			}
		}()
	}
	select {
	case <-ctx.Done():
	case <-time.After(*duration):
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return errors.Join(b.Shutdown(shutdownCtx), ns.Shutdown(shutdownCtx))
}

// writeAllocs writes the allocations since the start (the heap profile,
// whose alloc_space and alloc_objects views count every sampled
// allocation).
func writeAllocs(name string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
