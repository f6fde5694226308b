package main

import (
	"context"
	"errors"
	"os"
	"runtime/trace"
	"time"
)

// traceWindow writes a Go execution trace of [start, start+length) from now
// to file, cut short when ctx ends. A window rather than the whole run:
// traces grow by megabytes per second under load, and the interesting part
// is the steady state after a warm-up. Taken in the load tool and in the
// broker (saturnprof -trace) over the same window, the two traces share a
// clock and show a message's whole way.
func traceWindow(ctx context.Context, file string, start, length time.Duration) error {
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
