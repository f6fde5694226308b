package loadgen

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram bounds: 1 µs to 5 minutes at 3 significant digits. Values
// outside are clamped so that nothing is lost from the counts.
const (
	histMin = int64(time.Microsecond)
	histMax = int64(5 * time.Minute)
	histSig = 3
)

func newHDR() *hdrhistogram.Histogram {
	return hdrhistogram.New(histMin, histMax, histSig)
}

// recorder is a latency histogram for the whole run plus one for the current
// progress interval. It is safe for concurrent use; the engine gives each
// sender its own recorder so that callbacks of different senders do not
// contend.
type recorder struct {
	mu       sync.Mutex
	total    *hdrhistogram.Histogram
	interval *hdrhistogram.Histogram
}

func newRecorder() *recorder {
	return &recorder{total: newHDR(), interval: newHDR()}
}

func clampLatency(d time.Duration) int64 {
	return min(max(int64(d), histMin), histMax)
}

// record adds one latency, n times (a batch acknowledges n messages at once).
func (r *recorder) record(d time.Duration, n int64) {
	v := clampLatency(d)
	r.mu.Lock()
	_ = r.total.RecordValues(v, n)
	_ = r.interval.RecordValues(v, n)
	r.mu.Unlock()
}

// takeInterval merges the interval histogram into dst and resets it.
func (r *recorder) takeInterval(dst *hdrhistogram.Histogram) {
	r.mu.Lock()
	dst.Merge(r.interval)
	r.interval.Reset()
	r.mu.Unlock()
}

// mergeTotal merges the whole-run histogram into dst.
func (r *recorder) mergeTotal(dst *hdrhistogram.Histogram) {
	r.mu.Lock()
	dst.Merge(r.total)
	r.mu.Unlock()
}

// summary summarises the whole run.
func (r *recorder) summary() *Latency {
	h := newHDR()
	r.mergeTotal(h)
	l := summarize(h)
	return &l
}

// Latency summarises a histogram, in microseconds.
type Latency struct {
	Count int64   `json:"count"`
	Mean  float64 `json:"mean_us"`
	P50   float64 `json:"p50_us"`
	P90   float64 `json:"p90_us"`
	P99   float64 `json:"p99_us"`
	P999  float64 `json:"p99_9_us"`
	Max   float64 `json:"max_us"`
}

func summarize(h *hdrhistogram.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	us := func(v int64) float64 { return float64(v) / 1e3 }
	return Latency{
		Count: h.TotalCount(),
		Mean:  h.Mean() / 1e3,
		P50:   us(h.ValueAtQuantile(50)),
		P90:   us(h.ValueAtQuantile(90)),
		P99:   us(h.ValueAtQuantile(99)),
		P999:  us(h.ValueAtQuantile(99.9)),
		Max:   us(h.Max()),
	}
}
