package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/saturnmq/saturn/loadgen"
)

var started = regexp.MustCompile(`saturn started"? namesrv=(\S+)`)

// startSaturn builds the saturn binary and runs `saturn serve` on loopback
// ports chosen by the kernel; it returns the binary and the name server
// address.
func startSaturn(t *testing.T) (bin, namesrv string) {
	t.Helper()
	dir := t.TempDir()
	bin = filepath.Join(dir, "saturn")
	// Built inside the main module, with its own dependency versions.
	build := exec.Command("go", "build", "-o", bin, "./cmd/saturn")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve", "--data-dir", filepath.Join(dir, "data"),
		"--namesrv-listen", "127.0.0.1:0", "--broker-listen", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := started.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case a := <-addr:
		return bin, a
	case <-time.After(60 * time.Second):
		t.Fatal("saturn serve did not start")
	}
	return "", ""
}

// bench runs `saturn bench` with args and decodes its JSON result.
func bench(t *testing.T, bin string, args ...string) *loadgen.Result {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"bench"}, append(args, "--output", "json", "--quiet")...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("saturn bench %v: %v\nstderr:\n%s", args, err, stderr.String())
	}
	var res loadgen.Result
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("result of saturn bench %v: %v\n%s", args, err, stdout.String())
	}
	return &res
}

func TestSaturnBench(t *testing.T) {
	bin, ns := startSaturn(t)
	pid := strconv.Itoa(os.Getpid()) // any live process will do for the CPU figure

	t.Run("e2e", func(t *testing.T) {
		r := bench(t, bin, "e2e", "--namesrv", ns, "--topic", "SmokeE2E", "--queues", "4",
			"--messages", "2000", "--producers", "2", "--in-flight", "16", "--size", "256", "--broker-pid", pid)
		if r.Send == nil || r.Send.Messages != 2000 || r.Send.Failed != 0 {
			t.Fatalf("send %+v: want 2000 acknowledged, none failed", r.Send)
		}
		if r.Receive == nil || r.Receive.Messages != 2000 || r.Receive.Latency == nil || r.Receive.Latency.Count != 2000 {
			t.Fatalf("receive %+v: want 2000 with end-to-end latencies", r.Receive)
		}
		if r.BrokerCPU == nil || r.BrokerCPU.Messages != 2000 {
			t.Errorf("broker cpu %+v: want it measured over 2000 messages", r.BrokerCPU)
		}
	})
	t.Run("batch produce then consume", func(t *testing.T) {
		r := bench(t, bin, "produce", "--namesrv", ns, "--topic", "SmokeBatch", "--messages", "1000",
			"--batch", "16", "--in-flight", "4", "--size", "128")
		if r.Send.Messages != 1000 || r.Send.Failed != 0 || r.Send.Latency.Count != 1000 {
			t.Fatalf("send %+v: want 1000 acknowledged in batches", r.Send)
		}
		c := bench(t, bin, "consume", "--namesrv", ns, "--topic", "SmokeBatch", "--messages", "1000")
		if c.Receive == nil || c.Receive.Messages < 1000 {
			t.Fatalf("receive %+v: want the 1000 messages produced", c.Receive)
		}
	})
	t.Run("rate limited, bounded by duration", func(t *testing.T) {
		r := bench(t, bin, "produce", "--namesrv", ns, "--topic", "SmokeRate", "--rate", "500",
			"--duration", "1s", "--producers", "1")
		if r.Send.Messages == 0 || r.Send.Failed != 0 {
			t.Fatalf("send %+v: want some messages and no failures", r.Send)
		}
	})
	t.Run("invalid flags", func(t *testing.T) {
		cmd := exec.Command(bin, "bench", "produce", "--namesrv", ns, "--size", "3")
		if out, err := cmd.CombinedOutput(); err == nil {
			t.Fatalf("a 3-byte message size was accepted:\n%s", out)
		}
	})
}
