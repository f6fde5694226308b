package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"time"
)

// server is a broker process the runner started, on 127.0.0.1 with its own
// data directory.
type server struct {
	name string
	cmd  *exec.Cmd
	dir  string
	// dataDir is removed when the server stops; dir keeps the log.
	dataDir string
	addr    string // where clients connect
	done    chan struct{}
	// logFile keeps the server's output for a post-mortem.
	logFile *os.File
}

// startTimeout bounds how long a server may take to say it is ready.
const startTimeout = 60 * time.Second

// startProcess runs bin with args, copies its output to dir/server.log and
// waits until a line matches ready; the first submatch is the address.
func startProcess(ctx context.Context, name, dir, dataDir, bin string, args []string, env []string, ready *regexp.Regexp) (*server, error) {
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s := &server{name: name, cmd: cmd, dir: dir, dataDir: dataDir, done: make(chan struct{}), logFile: logFile}
	go func() {
		_ = cmd.Wait()
		pw.Close()
		close(s.done)
	}()
	addrCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		found := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logFile, line)
			if m := ready.FindStringSubmatch(line); !found && m != nil {
				found = true
				addrCh <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case s.addr = <-addrCh:
		return s, nil
	case <-s.done:
		err = fmt.Errorf("%s exited before it was ready; see %s", name, logFile.Name())
	case <-timer.C:
		err = fmt.Errorf("%s not ready after %v; see %s", name, startTimeout, logFile.Name())
	case <-ctx.Done():
		err = ctx.Err()
	}
	s.stop()
	return nil, err
}

// pid returns the server's process id.
func (s *server) pid() int { return s.cmd.Process.Pid }

// stop ends the server (SIGTERM, then SIGKILL after 20 s) and removes its
// data directory (not its log).
func (s *server) stop() {
	if s == nil {
		return
	}
	_ = syscall.Kill(s.pid(), syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-s.pid(), syscall.SIGKILL)
		<-s.done
	}
	s.logFile.Close()
	if s.dataDir != "" {
		_ = os.RemoveAll(s.dataDir)
	}
}

var (
	saturnReady = regexp.MustCompile(`saturn started"? namesrv=(\S+)`)
	natsReady   = regexp.MustCompile(`Listening for client connections on (\S+)`)
)

// startSaturn runs `saturn serve` with the given flush mode and extra
// broker.conf settings.
func startSaturn(ctx context.Context, bin, dir, flush string, sets []string) (*server, error) {
	data := filepath.Join(dir, "data")
	args := []string{"serve", "--data-dir", data,
		"--namesrv-listen", "127.0.0.1:0", "--broker-listen", "127.0.0.1:0",
		"--broker-set", "flushDiskType=" + flush, "--log-format", "text"}
	for _, kv := range sets {
		args = append(args, "--broker-set", kv)
	}
	return startProcess(ctx, "saturn", dir, data, bin, args, nil, saturnReady)
}

// startNATS runs nats-server with JetStream on file storage; syncAlways
// makes it fsync every message before the ack (sync_interval: always).
func startNATS(ctx context.Context, bin, dir string, syncAlways bool) (*server, error) {
	data := filepath.Join(dir, "js")
	conf := fmt.Sprintf("host: 127.0.0.1\nport: -1\njetstream {\n  store_dir: %q\n", data)
	if syncAlways {
		conf += "  sync_interval: always\n"
	}
	conf += "}\n"
	path := filepath.Join(dir, "nats.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	return startProcess(ctx, "nats", dir, data, bin, []string{"-c", path}, nil, natsReady)
}

// errUnknownPeer is returned for a peer name the runner does not know.
var errUnknownPeer = errors.New("unknown peer")
