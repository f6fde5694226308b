package tracewindow

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteTracesTheWindow(t *testing.T) {
	file := filepath.Join(t.TempDir(), "trace.out")
	if err := Write(context.Background(), file, 0, 0); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("go 1.")) {
		t.Fatalf("not a Go execution trace: starts with %q", b[:min(len(b), 16)])
	}
}

func TestWriteCancelledBeforeStartWritesNothing(t *testing.T) {
	file := filepath.Join(t.TempDir(), "trace.out")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Write(ctx, file, 1<<40, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatalf("trace file exists after cancel before the window: %v", err)
	}
}
