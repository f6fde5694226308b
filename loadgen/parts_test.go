package loadgen

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestBodyHeaderRoundTrip(t *testing.T) {
	at := time.Unix(1700000000, 123456789)
	b := make([]byte, 128)
	fillBody(b, 42)
	stampBody(b, 99, at)
	run, sent, ok := parseBody(b)
	if !ok || run != 99 || sent != at.UnixNano() {
		t.Errorf("parseBody = %d, %d, %v; want 99, %d, true", run, sent, ok, at.UnixNano())
	}
	for _, bad := range [][]byte{nil, b[:HeaderSize-1], append([]byte("XXXX"), b[4:]...)} {
		if _, _, ok := parseBody(bad); ok {
			t.Errorf("parseBody(%q) accepted a foreign body", bad)
		}
	}
}

func TestBodiesDoNotCompress(t *testing.T) {
	for _, size := range []int{HeaderSize, 100, 1024, 64 << 10} {
		b := make([]byte, size)
		fillBody(b, 7)
		var z bytes.Buffer
		w := zlib.NewWriter(&z)
		_, _ = w.Write(b)
		_ = w.Close()
		if z.Len() < size*9/10 {
			t.Errorf("a %d-byte body compresses to %d bytes", size, z.Len())
		}
	}
}

func TestSummarize(t *testing.T) {
	r := newRecorder()
	for i := 1; i <= 1000; i++ {
		r.record(time.Duration(i)*time.Microsecond, 1)
	}
	r.record(10*time.Minute, 1) // beyond the histogram: clamped, still counted
	h := newHDR()
	r.mergeTotal(h)
	l := summarize(h)
	if l.Count != 1001 {
		t.Fatalf("count %d, want 1001", l.Count)
	}
	near := func(got, want float64) bool { return got >= want*0.99 && got <= want*1.01 }
	if !near(l.P50, 500) || !near(l.P99, 990) || !near(l.Max, float64(histMax/1e3)) {
		t.Errorf("p50 %v p99 %v max %v", l.P50, l.P99, l.Max)
	}
	if got := summarize(newHDR()); got != (Latency{}) {
		t.Errorf("empty histogram summarised as %+v", got)
	}
	// takeInterval empties the interval histogram only.
	r.takeInterval(newHDR())
	h2 := newHDR()
	r.takeInterval(h2)
	if h2.TotalCount() != 0 {
		t.Errorf("interval histogram not reset")
	}
}

func TestParseProcStat(t *testing.T) {
	tests := []struct {
		name, stat string
		want       time.Duration
		wantErr    bool
	}{
		{"plain", "1234 (saturn) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 8 0", 4 * time.Second, false},
		{"name with spaces and parens", "77 (a b) c)) R 1 2 3 4 5 6 7 8 9 10 3 2 0", 50 * time.Millisecond, false},
		{"truncated", "77 (x) R 1 2", 0, true},
		{"no name", "garbage", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStat([]byte(tt.stat))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseProcStat = %v, %v; want %v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseMachineTicks(t *testing.T) {
	tests := []struct {
		name, stat string
		want       MachineTicks
		wantErr    bool
	}{
		{"with steal and guest", "cpu  100 5 40 800 20 1 4 30 7 0\ncpu0 50 2 20 400 10 0 2 15 3 0\nintr 1\n",
			MachineTicks{Busy: 150, Idle: 820, Steal: 30}, false},
		{"old kernel without steal", "cpu  10 0 5 80 5 0 0\n", MachineTicks{Busy: 15, Idle: 85}, false},
		{"cpu lines only per cpu", "cpu0 1 2 3 4 5 6 7 8\n", MachineTicks{}, true},
		{"too few fields", "cpu  1 2 3\n", MachineTicks{}, true},
		{"not a number", "cpu  1 2 x 4 5 6 7 8\n", MachineTicks{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMachineTicks([]byte(tt.stat))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseMachineTicks = %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestNewMachineUsage(t *testing.T) {
	u := NewMachineUsage(MachineTicks{Busy: 100, Idle: 100, Steal: 0}, MachineTicks{Busy: 160, Idle: 120, Steal: 20})
	if u == nil || u.BusyPct != 60 || u.IdlePct != 20 || u.StealPct != 20 {
		t.Errorf("usage %+v, want 60/20/20 %%", u)
	}
	if u := NewMachineUsage(MachineTicks{Busy: 5}, MachineTicks{Busy: 5}); u != nil {
		t.Errorf("usage over no time = %+v, want nil", u)
	}
}

func TestNewCPUUsage(t *testing.T) {
	u := NewCPUUsage(5, 2*time.Second, 4*time.Second, 100000)
	if u.MicrosPerMessage != 20 || u.Cores != 0.5 {
		t.Errorf("usage %+v, want 20 µs/msg and 0.5 cores", u)
	}
}

func TestReports(t *testing.T) {
	res := &Result{
		Target: "fake", Mode: ModeE2E,
		Config:    ResultConfig{Topic: "T", Queues: 2, MessageSize: 1024, Producers: 4, InFlight: 8, Batch: 16, Consumers: 1, Rate: 5000},
		Send:      &SendStats{Messages: 10, Elapsed: 1, Rate: 10, Latency: Latency{Count: 10, P50: 120, P99: 2500}, Errors: map[string]int64{"SYSTEM_BUSY": 3}},
		Receive:   &ReceiveStats{Messages: 9, Missing: 1, Latency: &Latency{Count: 9, P99: 1.5e6}},
		FlushMode: "SYNC_FLUSH",
		BrokerCPU: NewCPUUsage(1, time.Second, time.Second, 10),
		Machine:   &MachineUsage{CPUs: 2, BusyPct: 60, IdlePct: 10, StealPct: 30},
	}
	var text bytes.Buffer
	if err := WriteText(&text, res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"batches of 16", "target 5000 msg/s", "p99 2.50ms", "SYSTEM_BUSY:", "missing 1", "p99 1.50s", "SYNC_FLUSH", "100000.0 µs/msg", "stolen by the hypervisor 30%"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
	js, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(js, &back); err != nil || back.Send.Errors["SYSTEM_BUSY"] != 3 || back.Receive.Latency.P99 != 1.5e6 {
		t.Errorf("JSON round trip: %v, %+v", err, back)
	}
	line := FormatProgress(Progress{Seconds: 2, SendRate: 1000, Latency: Latency{P50: 80}, ReceiveRate: 900, Received: 1800, E2E: &Latency{P99: 900}}, ModeE2E)
	for _, want := range []string{"2.0s", "1000 msg/s", "p50 80µs", "recv", "e2e p50"} {
		if !strings.Contains(line, want) {
			t.Errorf("progress line %q lacks %q", line, want)
		}
	}
	var none bytes.Buffer
	if err := WriteText(&none, &Result{Mode: ModeConsume, Receive: &ReceiveStats{}}); err != nil || !strings.Contains(none.String(), "no messages arrived") {
		t.Errorf("report of a run that received nothing: %q, %v", none.String(), err)
	}
	if strings.Contains(FormatProgress(Progress{}, ModeProduce), "recv") {
		t.Error("produce progress mentions receiving")
	}
}
