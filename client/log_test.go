package client

import (
	"io"
	"log/slog"
	"os"
)

// quietLogger keeps test output readable; SATURN_TEST_LOG=1 shows the logs.
func quietLogger() *slog.Logger {
	if os.Getenv("SATURN_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
