package loadgen

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRunProduceCounts(t *testing.T) {
	tests := []struct {
		name                        string
		messages                    int64
		producers, inFlight, batch  int
		rate                        float64
		wantMaxBatch, wantMaxWindow int
	}{
		{name: "single sends", messages: 1000, producers: 3, inFlight: 4, batch: 1, wantMaxBatch: 1, wantMaxWindow: 4},
		{name: "batches with a short last one", messages: 100, producers: 2, inFlight: 2, batch: 7, wantMaxBatch: 7, wantMaxWindow: 2},
		{name: "rate limited", messages: 200, producers: 2, inFlight: 8, batch: 1, rate: 4000, wantMaxBatch: 1, wantMaxWindow: 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ft := &fakeTarget{}
			var reports int
			res, err := Run(context.Background(), Config{
				Mode: ModeProduce, Topic: "T", Queues: 3, MessageSize: 64, Producers: tt.producers,
				InFlight: tt.inFlight, Batch: tt.batch, Messages: tt.messages, Rate: tt.rate,
				ReportInterval: time.Millisecond,
			}, ft, func(Progress) { reports++ })
			if err != nil {
				t.Fatal(err)
			}
			s := res.Send
			if s == nil || res.Receive != nil {
				t.Fatalf("send %v receive %v: want only send stats", s, res.Receive)
			}
			if s.Messages != tt.messages || s.Failed != 0 || s.Unacknowledged != 0 {
				t.Errorf("messages %d failed %d unacked %d, want %d, 0, 0", s.Messages, s.Failed, s.Unacknowledged, tt.messages)
			}
			if s.Latency.Count != tt.messages {
				t.Errorf("latency samples %d, want %d", s.Latency.Count, tt.messages)
			}
			if int64(len(ft.log)) != tt.messages {
				t.Errorf("broker stored %d, want %d", len(ft.log), tt.messages)
			}
			if ft.maxBatch != tt.wantMaxBatch {
				t.Errorf("largest batch %d, want %d", ft.maxBatch, tt.wantMaxBatch)
			}
			if w := ft.maxWindow.Load(); w > int64(tt.wantMaxWindow) {
				t.Errorf("a sender had %d sends outstanding, window is %d", w, tt.wantMaxWindow)
			}
			if !ft.prepared || ft.queues != 3 {
				t.Errorf("topic prepared %v with %d queues, want 3", ft.prepared, ft.queues)
			}
			if ft.closed.Load() != int64(tt.producers) {
				t.Errorf("%d senders closed, want %d", ft.closed.Load(), tt.producers)
			}
			for i, b := range ft.log {
				if run, _, ok := parseBody(b); !ok || len(b) != 64 || run == 0 {
					t.Fatalf("stored message %d: %d bytes, header ok %v", i, len(b), ok)
				}
			}
		})
	}
}

func TestRunCountsErrorsByKind(t *testing.T) {
	ft := &fakeTarget{failEvery: 4}
	res, err := Run(context.Background(), Config{
		Topic: "T", MessageSize: 32, Producers: 1, InFlight: 1, Messages: 400, ReportInterval: -1,
	}, ft, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := res.Send
	if s.Failed != 100 || s.Messages != 300 {
		t.Errorf("failed %d acked %d, want 100 and 300", s.Failed, s.Messages)
	}
	if len(s.Errors) != 1 || s.Errors["refused"] != 100 {
		t.Errorf("errors %v, want refused: 100", s.Errors)
	}
}

// refusingTarget's senders refuse every send at once.
type refusingTarget struct{ fakeTarget }

type refusingSender struct{}

func (refusingSender) Send(context.Context, [][]byte, func(error)) error {
	return errors.New("closed")
}
func (refusingSender) Close(context.Context) error { return nil }

func (t *refusingTarget) NewSender(context.Context, string, int) (Sender, error) {
	return refusingSender{}, nil
}

func TestRunSendRefusedAtOnce(t *testing.T) {
	res, err := Run(context.Background(), Config{
		Topic: "T", Producers: 2, Messages: 10, ReportInterval: -1,
	}, &refusingTarget{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Send.Failed != 10 || res.Send.Messages != 0 || res.Send.Errors["other"] != 10 {
		t.Errorf("send stats %+v, want 10 failed of kind other", res.Send)
	}
}

func TestRunE2E(t *testing.T) {
	ft := &fakeTarget{}
	// A message of an earlier run is already in the topic; a live e2e
	// receiver does not see it, and one left in the stream would be
	// counted as foreign, not as this run's.
	ft.log = append(ft.log, make([]byte, 64))
	res, err := Run(context.Background(), Config{
		Mode: ModeE2E, Topic: "T", MessageSize: 100, Producers: 2, InFlight: 3, Messages: 500,
		Consumers: 2, ReportInterval: time.Millisecond,
	}, ft, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := res.Receive
	if r == nil || r.Latency == nil {
		t.Fatalf("receive stats %+v: want end-to-end latency", r)
	}
	// Two receivers in the fake each get every message.
	if r.Messages != 1000 || r.Latency.Count != 1000 || r.Missing != 0 {
		t.Errorf("received %d (latency samples %d, missing %d), want 1000", r.Messages, r.Latency.Count, r.Missing)
	}
	if res.Send.Messages != 500 {
		t.Errorf("sent %d, want 500", res.Send.Messages)
	}
}

// storeTimeFake is a fakeTarget that also reports store times (the time of
// delivery: the fake stores and delivers at once).
type storeTimeFake struct{ *fakeTarget }

func (t storeTimeFake) NewStoreTimeReceiver(ctx context.Context, topic, group string, i int, fromStart bool, deliver func([]byte, time.Time)) (Receiver, error) {
	return t.NewReceiver(ctx, topic, group, i, fromStart, func(b []byte) { deliver(b, time.Now()) })
}

func TestRunE2EStoreSplit(t *testing.T) {
	for _, tc := range []struct {
		name   string
		target Target
		split  bool
	}{
		{"store times", storeTimeFake{&fakeTarget{}}, true},
		{"no store times", &fakeTarget{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Run(context.Background(), Config{
				Mode: ModeE2E, Topic: "T", MessageSize: 100, Producers: 2, InFlight: 3, Messages: 300, Consumers: 1,
			}, tc.target, nil)
			if err != nil {
				t.Fatal(err)
			}
			r := res.Receive
			if r == nil || r.Latency == nil || r.Latency.Count != 300 {
				t.Fatalf("receive stats %+v: want 300 end-to-end samples", r)
			}
			if !tc.split {
				if r.ToStore != nil || r.FromStore != nil {
					t.Errorf("split %+v %+v without store times", r.ToStore, r.FromStore)
				}
				return
			}
			if r.ToStore == nil || r.FromStore == nil || r.ToStore.Count != 300 || r.FromStore.Count != 300 {
				t.Fatalf("split %+v / %+v: want 300 samples each", r.ToStore, r.FromStore)
			}
			var b strings.Builder
			if err := WriteText(&b, res); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"sent to stored", "stored to received"} {
				if !strings.Contains(b.String(), want) {
					t.Errorf("report lacks %q:\n%s", want, b.String())
				}
			}
		})
	}
}

func TestRunE2EForeignMessages(t *testing.T) {
	e := &engine{cfg: Config{Mode: ModeE2E}, run: 7, e2e: newRecorder(), errs: map[string]int64{}}
	other := make([]byte, 40)
	fillBody(other, 1)
	stampBody(other, 8, time.Now())
	mine := make([]byte, 40)
	fillBody(mine, 1)
	stampBody(mine, 7, time.Now())
	e.deliver(other)
	e.deliver([]byte("not ours"))
	e.deliver(mine)
	if e.received.Load() != 1 || e.foreign.Load() != 2 {
		t.Errorf("received %d foreign %d, want 1 and 2", e.received.Load(), e.foreign.Load())
	}
}

func TestRunConsume(t *testing.T) {
	ft := &fakeTarget{}
	for range 300 {
		ft.log = append(ft.log, make([]byte, 50))
	}
	res, err := Run(context.Background(), Config{
		Mode: ModeConsume, Topic: "T", MessageSize: 50, Messages: 300, ReportInterval: -1,
	}, ft, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Send != nil || res.Receive == nil || res.Receive.Messages != 300 {
		t.Fatalf("result %+v: want 300 received and no send stats", res)
	}
	if ft.prepared {
		t.Error("consume mode created the topic")
	}
}

// checkingTarget is a fakeTarget that knows no topic.
type checkingTarget struct{ *fakeTarget }

var errNoTopic = errors.New("no such topic")

func (checkingTarget) CheckTopic(context.Context, string) error { return errNoTopic }

// TestRunConsumeChecksTopic checks that consume mode fails at once, with
// the target's reason, when the target says the topic cannot be consumed.
func TestRunConsumeChecksTopic(t *testing.T) {
	ft := &fakeTarget{}
	_, err := Run(context.Background(), Config{
		Mode: ModeConsume, Topic: "T", MessageSize: 50, Messages: 300, ReportInterval: -1,
	}, checkingTarget{ft}, nil)
	if !errors.Is(err, errNoTopic) {
		t.Fatalf("Run = %v, want the topic check's error", err)
	}
}

func TestRunStopsAfterDuration(t *testing.T) {
	ft := &fakeTarget{}
	res, err := Run(context.Background(), Config{
		Topic: "T", MessageSize: 32, Producers: 2, InFlight: 4, Duration: 100 * time.Millisecond,
		Warmup: 20 * time.Millisecond, ReportInterval: -1,
	}, ft, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := res.Send
	if s.Messages+s.Warmup == 0 || s.Messages+s.Warmup != int64(len(ft.log)) {
		t.Errorf("acked %d+%d warm-up, broker stored %d: want equal and non-zero", s.Messages, s.Warmup, len(ft.log))
	}
	if s.Latency.Count != s.Messages {
		t.Errorf("latency samples %d, measured messages %d", s.Latency.Count, s.Messages)
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Run(ctx, Config{Topic: "T", Duration: time.Hour, ReportInterval: -1}, &fakeTarget{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Send == nil {
		t.Fatal("no send stats")
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no topic", Config{}},
		{"unknown mode", Config{Topic: "T", Mode: "both"}},
		{"body too small for the header", Config{Topic: "T", MessageSize: HeaderSize - 1}},
		{"negative producers", Config{Topic: "T", Producers: -1}},
		{"negative rate", Config{Topic: "T", Rate: -5}},
		{"warm-up as long as the run", Config{Topic: "T", Duration: time.Second, Warmup: time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(context.Background(), tt.cfg, &fakeTarget{}, nil)
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("err %v, want ErrInvalidConfig", err)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	tests := []struct {
		name         string
		cfg          Config
		wantDuration time.Duration
	}{
		{"nothing bounds the run: default duration", Config{Topic: "T"}, DefaultDuration},
		{"count only: hard cap", Config{Topic: "T", Messages: 5}, DefaultMaxDuration},
		{"duration beyond the cap", Config{Topic: "T", Duration: time.Hour, MaxDuration: time.Minute}, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.cfg
			if err := c.setDefaults(); err != nil {
				t.Fatal(err)
			}
			if c.Duration != tt.wantDuration {
				t.Errorf("duration %v, want %v", c.Duration, tt.wantDuration)
			}
			if c.Mode != ModeProduce || c.Producers != DefaultProducers || c.InFlight != DefaultInFlight || c.Batch != 1 {
				t.Errorf("defaults not applied: %+v", c)
			}
		})
	}
}

func TestQuota(t *testing.T) {
	tests := []struct {
		total     int64
		producers int
		want      []int64
	}{
		{10, 3, []int64{4, 3, 3}},
		{2, 4, []int64{1, 1, 0, 0}},
		{0, 2, []int64{-1, -1}},
	}
	for _, tt := range tests {
		for i, w := range tt.want {
			if got := quota(tt.total, tt.producers, i); got != w {
				t.Errorf("quota(%d, %d, %d) = %d, want %d", tt.total, tt.producers, i, got, w)
			}
		}
	}
}
