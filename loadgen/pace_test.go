package loadgen

import (
	"testing"
	"time"
)

func TestPacerNeverEarly(t *testing.T) {
	fine := newPacer()
	defer fine.close()
	coarse := newPacer()
	if coarse.fine != nil {
		coarse.fine.close()
		coarse.fine = nil // the timer alone, as on platforms without a fine waiter
	}
	for _, tc := range []struct {
		name string
		p    *pacer
	}{
		{"fine", fine},
		{"timer only", coarse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stop := make(chan struct{})
			for _, ahead := range []time.Duration{-time.Millisecond, 0, 100 * time.Microsecond, time.Millisecond, coarseLead + 3*time.Millisecond} {
				at := time.Now().Add(ahead)
				if !tc.p.wait(at, stop) {
					t.Fatalf("wait %v ahead: stopped without stop", ahead)
				}
				if now := time.Now(); now.Before(at) {
					t.Errorf("wait %v ahead returned %v early", ahead, at.Sub(now))
				}
			}
		})
	}
}

func TestPacerStop(t *testing.T) {
	p := newPacer()
	defer p.close()
	stop := make(chan struct{})
	close(stop)
	if p.wait(time.Now().Add(time.Hour), stop) {
		t.Fatal("wait an hour ahead returned true after stop")
	}
}
