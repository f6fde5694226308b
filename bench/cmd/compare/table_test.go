package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		name  string
		rates []float64
		want  float64
	}{
		{"none", nil, 0},
		{"odd", []float64{3, 1, 2}, 2},
		{"even", []float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var runs []measurement
			for _, r := range tt.rates {
				runs = append(runs, measurement{SendRate: r, Failed: 1, Errors: map[string]int64{"timeout": 2}})
			}
			m := median(runs)
			if m.SendRate != tt.want {
				t.Errorf("median rate %v, want %v", m.SendRate, tt.want)
			}
			if n := int64(len(runs)); m.Failed != n || m.Errors["timeout"] != 2*n {
				t.Errorf("failures %d %v, want sums over %d runs", m.Failed, m.Errors, n)
			}
		})
	}
}

func TestRatiosAndTable(t *testing.T) {
	mk := func(peer, dur, kind string, size, prod int, rate float64) *row {
		return &row{cell: cell{Peer: peer, Durability: dur, Kind: kind, Size: size, Producers: prod, Batch: 1},
			DurabilityNote: durabilityNote(peer, dur), Median: measurement{SendRate: rate}}
	}
	rows := []*row{
		mk("saturn", "async", kindPeak, 1024, 4, 150),
		mk("nats", "async", kindPeak, 1024, 4, 100),
		mk("nats", "sync", kindPeak, 1024, 4, 10), // no Saturn row to compare with
		mk("saturn", "sync", kindPeak, 128, 4, 80),
		mk("rabbitmq", "sync", kindPeak, 128, 4, 40),
		mk("nats", "async", kindE2E, 1024, 4, 5000),
	}
	rows = append(rows, &row{cell: cell{Peer: "nats", Durability: "async", Kind: kindHalfPeak, Size: 1024, Producers: 4}, Err: "broker died\nstack"})
	rows[1].Median.StealPct = 37
	setRatios(rows)
	want := []float64{0, 1.5, 0, 0, 2, 0, 0}
	for i, rw := range rows {
		if rw.Ratio != want[i] {
			t.Errorf("row %d (%s %s %s): ratio %v, want %v", i, rw.Peer, rw.Durability, rw.Kind, rw.Ratio, want[i])
		}
	}
	var b bytes.Buffer
	printTable(&b, rows, options{runs: 3, inFlight: 256})
	out := b.String()
	for _, w := range []string{"1.50x", "2.00x", "steal %", " 37 ", "quorum queue", "sync_interval: always", "broker died", "error"} {
		if !strings.Contains(out, w) {
			t.Errorf("table lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "stack") {
		t.Errorf("table shows more than the first line of an error:\n%s", out)
	}
}

func TestTreeCPU(t *testing.T) {
	if pp, ok := parentPID(os.Getpid()); !ok || pp != os.Getppid() {
		t.Errorf("parentPID = %d, %v; want %d", pp, ok, os.Getppid())
	}
	// The test's parent includes this process's CPU.
	self, err := treeCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	parent, err := treeCPU(os.Getppid())
	if err != nil {
		t.Fatal(err)
	}
	if parent < self {
		t.Errorf("parent tree %v used less CPU than its child %v", parent, self)
	}
}

func TestLists(t *testing.T) {
	if got := splitList(" saturn, ,nats "); strings.Join(got, "|") != "saturn|nats" {
		t.Errorf("splitList = %q", got)
	}
	if got, err := intList("1024,128"); err != nil || len(got) != 2 || got[1] != 128 {
		t.Errorf("intList = %v, %v", got, err)
	}
	if _, err := intList("1k"); err == nil {
		t.Error("intList accepted 1k")
	}
}
