// Package tracewindow writes a Go execution trace of a time window of a
// running process. The load tool (saturn bench --trace) and the profiling
// broker (bench/cmd/saturnprof -trace) both use it, so that traces taken in
// the two processes over the same window share a clock and show a
// message's whole way.
package tracewindow

import (
	"context"
	"errors"
	"os"
	"runtime/trace"
	"time"
)

// Write traces [start, start+length) from now into file, cut short when
// ctx ends. A window rather than the whole run: traces grow by megabytes
// per second under load, and the interesting part is the steady state
// after a warm-up.
func Write(ctx context.Context, file string, start, length time.Duration) error {
	select {
	case <-ctx.Done():
		return nil
	case <-time.After(start):
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := trace.Start(f); err != nil {
		return errors.Join(err, f.Close())
	}
	select {
	case <-ctx.Done():
	case <-time.After(length):
	}
	trace.Stop()
	return f.Close()
}
