package broker

import (
	"testing"
	"time"
)

func TestStatsRates(t *testing.T) {
	var s stats
	t0 := time.Date(2024, 5, 1, 23, 59, 0, 0, time.Local)
	if p, g := s.rates(10); p != 0 || g != 0 {
		t.Fatalf("rates without samples = %v %v", p, g)
	}
	// 100 puts and 50 gets per second for 70 seconds.
	for i := range 71 {
		s.sample(t0.Add(time.Duration(i) * time.Second))
		s.put.Add(100)
		s.get.Add(50)
	}
	tests := []struct {
		window   int
		put, get float64
	}{
		{10, 100, 50},
		{60, 100, 50},
		{600, 100, 50}, // fewer samples than the window: use them all
	}
	for _, tt := range tests {
		p, g := s.rates(tt.window)
		if p != tt.put || g != tt.get {
			t.Errorf("rates(%d) = %v %v, want %v %v", tt.window, p, g, tt.put, tt.get)
		}
	}
	put, get := s.tpsTriple()
	if put != "100.00 100.00 100.00" || get != "50.00 50.00 50.00" {
		t.Errorf("tpsTriple = %q %q", put, get)
	}
	// The samples crossed midnight at i=60: today's morning total is the
	// counter then, yesterday's the first sample.
	pt, gt, py, gy := s.dayTotals()
	if pt != 6000 || gt != 3000 || py != 0 || gy != 0 {
		t.Errorf("dayTotals = %d %d %d %d", pt, gt, py, gy)
	}
}

func TestStatsRingWraps(t *testing.T) {
	var s stats
	t0 := time.Unix(0, 0)
	for i := range 2000 {
		s.put.Add(int64(i % 7)) // irregular early, then steady
		if i >= 1000 {
			s.put.Add(10 - int64(i%7))
		}
		s.sample(t0.Add(time.Duration(i) * time.Second))
	}
	if p, _ := s.rates(600); p != 10 {
		t.Fatalf("rate over a wrapped ring = %v, want 10", p)
	}
}
