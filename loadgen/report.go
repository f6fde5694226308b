package loadgen

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// FormatProgress renders a progress report as one line of text.
func FormatProgress(p Progress, mode Mode) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%6.1fs", p.Seconds)
	if mode != ModeConsume {
		fmt.Fprintf(&b, "  send %9.0f msg/s %7.1f MB/s  in-flight %6d  failed %d  p50 %s  p99 %s",
			p.SendRate, p.SendMBps, p.InFlight, p.Failed, us(p.Latency.P50), us(p.Latency.P99))
	}
	if mode != ModeProduce {
		fmt.Fprintf(&b, "  recv %9.0f msg/s (total %d)", p.ReceiveRate, p.Received)
		if p.E2E != nil {
			fmt.Fprintf(&b, "  e2e p50 %s  p99 %s", us(p.E2E.P50), us(p.E2E.P99))
		}
	}
	return b.String()
}

// us renders microseconds with a unit that keeps them readable.
func us(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fs", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.2fms", v/1e3)
	default:
		return fmt.Sprintf("%.0fµs", v)
	}
}

// WriteText writes a human-readable summary of r.
func WriteText(w io.Writer, r *Result) error {
	c := r.Config
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: topic %s", r.Target, r.Mode, c.Topic)
	if r.Mode != ModeConsume {
		fmt.Fprintf(&b, ", %d queues, %d-byte messages", c.Queues, c.MessageSize)
		fmt.Fprintf(&b, ", %d producers x %d in flight", c.Producers, c.InFlight)
		if c.Batch > 1 {
			fmt.Fprintf(&b, ", batches of %d", c.Batch)
		}
		if c.Rate > 0 {
			fmt.Fprintf(&b, ", target %.0f msg/s", c.Rate)
		}
	}
	if r.Mode != ModeProduce {
		fmt.Fprintf(&b, ", %d consumers", c.Consumers)
	}
	b.WriteString("\n")
	if s := r.Send; s != nil {
		fmt.Fprintf(&b, "send:    %d messages in %.2fs = %.0f msg/s, %.1f MB/s; failed %d", s.Messages, s.Elapsed, s.Rate, s.MBps, s.Failed)
		if s.Warmup > 0 {
			fmt.Fprintf(&b, "; warm-up %d", s.Warmup)
		}
		if s.Unacknowledged > 0 {
			fmt.Fprintf(&b, "; unacknowledged %d", s.Unacknowledged)
		}
		b.WriteString("\n")
		writeLatency(&b, "publish latency", s.Latency)
		for _, k := range slices.Sorted(maps.Keys(s.Errors)) {
			fmt.Fprintf(&b, "  errors %-24s %d\n", k+":", s.Errors[k])
		}
	}
	if rc := r.Receive; rc != nil {
		if rc.Messages == 0 {
			// Elapsed runs from the first receipt to the last: with none
			// it says nothing of how long the run waited.
			b.WriteString("receive: no messages arrived")
		} else {
			fmt.Fprintf(&b, "receive: %d messages in %.2fs = %.0f msg/s, %.1f MB/s", rc.Messages, rc.Elapsed, rc.Rate, rc.MBps)
		}
		if rc.Missing > 0 {
			fmt.Fprintf(&b, "; missing %d", rc.Missing)
		}
		if rc.Foreign > 0 {
			fmt.Fprintf(&b, "; %d from other runs ignored", rc.Foreign)
		}
		b.WriteString("\n")
		if rc.Latency != nil {
			writeLatency(&b, "end-to-end latency", *rc.Latency)
		}
		if rc.ToStore != nil && rc.FromStore != nil {
			// The broker's store timestamp has millisecond resolution (it
			// is the protocol's field), so the split point is rounded down
			// by up to 1 ms: below that the two halves are not meaningful.
			b.WriteString("  split at the broker's store time (1 ms resolution):\n")
			writeLatency(&b, "  sent to stored", *rc.ToStore)
			writeLatency(&b, "  stored to received", *rc.FromStore)
		}
	}
	if r.FlushMode != "" {
		fmt.Fprintf(&b, "flush mode: %s\n", r.FlushMode)
	}
	if u := r.BrokerCPU; u != nil {
		fmt.Fprintf(&b, "broker cpu: %.2fs = %.1f µs/msg over %d messages (%.2f cores)\n", u.Seconds, u.MicrosPerMessage, u.Messages, u.Cores)
	}
	if u := r.LoadCPU; u != nil {
		fmt.Fprintf(&b, "load tool cpu: %.2fs = %.1f µs/msg over %d messages (%.2f cores)\n", u.Seconds, u.MicrosPerMessage, u.Messages, u.Cores)
	}
	if m := r.Machine; m != nil {
		fmt.Fprintf(&b, "machine cpu (%d cpus): busy %.0f%%, idle %.0f%%, stolen by the hypervisor %.0f%%\n", m.CPUs, m.BusyPct, m.IdlePct, m.StealPct)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeLatency(b *strings.Builder, what string, l Latency) {
	if l.Count == 0 {
		fmt.Fprintf(b, "  %s: no samples\n", what)
		return
	}
	fmt.Fprintf(b, "  %s: p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  mean %s  (%d samples)\n",
		what, us(l.P50), us(l.P90), us(l.P99), us(l.P999), us(l.Max), us(l.Mean), l.Count)
}
