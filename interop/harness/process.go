package harness

import (
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Process is a running saturn child process.
type Process struct {
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan struct{}
	err  error
}

// syncBuffer is a bytes.Buffer safe for the child's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// Start runs the saturn binary with args and waits until every address in
// waitAddrs accepts TCP connections. The process is killed when the test ends
// and its log is printed if the test failed.
func Start(t testing.TB, bin string, waitAddrs []string, args ...string) *Process {
	t.Helper()
	p := &Process{cmd: exec.Command(bin, args...), logs: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Stdout = p.logs
	p.cmd.Stderr = p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start saturn: %v", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("saturn %v output:\n%s", args, p.logs.String())
		}
	})
	for _, addr := range waitAddrs {
		if err := p.waitListening(addr, 30*time.Second); err != nil {
			t.Fatalf("saturn %v: %v\n%s", args, err, p.logs.String())
		}
	}
	return p
}

func (p *Process) waitListening(addr string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return fmt.Errorf("exited before listening on %s: %v", addr, p.err)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not listening on %s after %s", addr, limit)
}

// Logs returns what the process printed so far.
func (p *Process) Logs() string { return p.logs.String() }

// Kill sends SIGKILL and waits for the process to end.
func (p *Process) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Stop sends SIGTERM and waits up to limit for a clean exit; it reports the
// exit error, if any.
func (p *Process) Stop(limit time.Duration) error {
	select {
	case <-p.done:
		return p.err
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(limit):
		p.Kill()
		return fmt.Errorf("did not stop within %s", limit)
	}
}

// issued remembers every port FreeAddrs handed out in this test binary, so two
// calls never return the same port even after the kernel recycles it. It is
// package state on purpose: the ports it guards are a process-wide resource.
var issued = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// FreeAddrs returns n distinct loopback addresses whose ports were free a
// moment ago. All n listeners stay open until every port is chosen, so the
// kernel cannot hand the same ephemeral port out twice (which once made a
// name server and a broker collide on one port).
func FreeAddrs(t testing.TB, n int) []string {
	t.Helper()
	issued.Lock()
	defer issued.Unlock()
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	addrs := make([]string, 0, n)
	for len(addrs) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		held = append(held, l)
		port := l.Addr().(*net.TCPAddr).Port
		if issued.ports[port] {
			continue
		}
		issued.ports[port] = true
		addrs = append(addrs, l.Addr().String())
	}
	return addrs
}

// FreeAddr returns one loopback address as FreeAddrs does.
func FreeAddr(t testing.TB) string {
	t.Helper()
	return FreeAddrs(t, 1)[0]
}
