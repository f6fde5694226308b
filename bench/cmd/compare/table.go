package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
)

// median returns the per-figure medians of runs (errors are summed).
func median(runs []measurement) measurement {
	if len(runs) == 0 {
		return measurement{}
	}
	pick := func(f func(measurement) float64) float64 {
		v := make([]float64, len(runs))
		for i, m := range runs {
			v[i] = f(m)
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	m := measurement{
		SendRate:      pick(func(m measurement) float64 { return m.SendRate }),
		MBps:          pick(func(m measurement) float64 { return m.MBps }),
		P50:           pick(func(m measurement) float64 { return m.P50 }),
		P99:           pick(func(m measurement) float64 { return m.P99 }),
		P999:          pick(func(m measurement) float64 { return m.P999 }),
		ConsumeRate:   pick(func(m measurement) float64 { return m.ConsumeRate }),
		E2EP50:        pick(func(m measurement) float64 { return m.E2EP50 }),
		E2EP99:        pick(func(m measurement) float64 { return m.E2EP99 }),
		CPUPerMsg:     pick(func(m measurement) float64 { return m.CPUPerMsg }),
		ToolCPUPerMsg: pick(func(m measurement) float64 { return m.ToolCPUPerMsg }),
		StealPct:      pick(func(m measurement) float64 { return m.StealPct }),
	}
	for _, r := range runs {
		m.Failed += r.Failed
		m.Missing += r.Missing
		for k, v := range r.Errors {
			if m.Errors == nil {
				m.Errors = map[string]int64{}
			}
			m.Errors[k] += v
		}
	}
	return m
}

// setRatios fills Ratio on every peer row of a throughput workload that
// Saturn also ran with the same size, senders and durability class.
func setRatios(rows []*row) {
	for _, rw := range rows {
		if rw.Peer == "saturn" || rw.Kind != kindPeak || rw.Median.SendRate == 0 {
			continue
		}
		for _, s := range rows {
			if s.Peer == "saturn" && s.Kind == kindPeak && s.Durability == rw.Durability &&
				s.Size == rw.Size && s.Producers == rw.Producers {
				rw.Ratio = s.Median.SendRate / rw.Median.SendRate
			}
		}
	}
}

func printTable(w io.Writer, rows []*row, o options) {
	fmt.Fprintf(w, "\n%d run(s) per cell, medians; %v measured after %v warm-up; %d in flight per sender unless noted; MB = 10^6 bytes\n\n",
		o.runs, o.duration, o.warmup, o.inFlight)
	if len(o.saturnSets) > 0 {
		fmt.Fprintf(w, "Saturn broker settings: %s\n\n", strings.Join(o.saturnSets, " "))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "peer\tdurability\tworkload\tsize\tsenders\tmsg/s\tMB/s\tp50 pub\tp99 pub\tconsume msg/s\te2e p50\te2e p99\tbroker µs/msg\ttool µs/msg\tsteal %\tSaturn/peer\t")
	for _, rw := range rows {
		m := rw.Median
		wl := rw.Kind
		switch rw.Kind {
		case kindBatch:
			wl = fmt.Sprintf("batch %d, %d in flight", rw.Batch, rw.InFlight)
		case kindHalfPeak, kindE2E:
			wl = fmt.Sprintf("%s @%.0f/s", rw.Kind, rw.Rate)
		}
		if rw.Err != "" && len(rw.Runs) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\terror\t\t\t\t\t\t\t\t\t\t\t\n", rw.Peer, durabilityShort(rw), wl, rw.Size, rw.Producers)
			continue
		}
		e2e50, e2e99 := "", ""
		if rw.Kind == kindE2E {
			e2e50, e2e99 = latency(m.E2EP50), latency(m.E2EP99)
		}
		ratio := ""
		if rw.Ratio > 0 {
			ratio = fmt.Sprintf("%.2fx", rw.Ratio)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%.0f\t%.1f\t%s\t%s\t%.0f\t%s\t%s\t%.1f\t%.1f\t%.0f\t%s\t\n",
			rw.Peer, durabilityShort(rw), wl, rw.Size, rw.Producers, m.SendRate, m.MBps,
			latency(m.P50), latency(m.P99), m.ConsumeRate, e2e50, e2e99, m.CPUPerMsg, m.ToolCPUPerMsg, m.StealPct, ratio)
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "\ndurability:")
	seen := map[string]bool{}
	for _, rw := range rows {
		k := durabilityShort(rw)
		if !seen[k] {
			seen[k] = true
			fmt.Fprintf(w, "  %-14s %s\n", k, rw.DurabilityNote)
		}
	}
	var bad []string
	for _, rw := range rows {
		if rw.Err != "" {
			bad = append(bad, fmt.Sprintf("  %s %s %s %dB x%d: %s", rw.Peer, rw.Durability, rw.Kind, rw.Size, rw.Producers, firstLine(rw.Err)))
		}
		if rw.Median.Failed > 0 || rw.Median.Missing > 0 {
			bad = append(bad, fmt.Sprintf("  %s %s %s %dB x%d: failed %d %v, missing %d", rw.Peer, rw.Durability, rw.Kind,
				rw.Size, rw.Producers, rw.Median.Failed, rw.Median.Errors, rw.Median.Missing))
		}
	}
	if len(bad) > 0 {
		fmt.Fprintln(w, "\nerrors and failures (all runs):")
		fmt.Fprintln(w, strings.Join(bad, "\n"))
	}
}

func durabilityShort(rw *row) string {
	switch rw.Peer + "/" + rw.Durability {
	case "saturn/async":
		return "ASYNC_FLUSH"
	case "saturn/sync":
		return "SYNC_FLUSH"
	case "nats/async":
		return "default"
	case "nats/sync":
		return "sync always"
	case "rabbitmq/sync":
		return "quorum"
	}
	return rw.Durability
}

func latency(us float64) string {
	switch {
	case us == 0:
		return "-"
	case us >= 1e3:
		return fmt.Sprintf("%.2fms", us/1e3)
	default:
		return fmt.Sprintf("%.0fµs", us)
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// quietLogger passes only errors of the clients on.
func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
}
