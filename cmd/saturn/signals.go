package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// shutdownTimeout bounds how long a clean shutdown may take after SIGINT or
// SIGTERM before the process gives up waiting for in-flight work.
const shutdownTimeout = 15 * time.Second

// waitForSignal blocks until SIGINT or SIGTERM arrives or ctx ends, and
// returns a context for the shutdown that follows.
func waitForSignal(ctx context.Context) (context.Context, context.CancelFunc) {
	sigCtx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	<-sigCtx.Done()
	stop()
	return context.WithTimeout(context.Background(), shutdownTimeout)
}
