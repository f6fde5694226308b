package broker

import (
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

func TestPullHoldsArrived(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tagA := int64(65)
	onlyA := func(code int64) bool { return code == tagA }
	q0 := queueKey{"T", 0}
	q1 := queueKey{"T", 1}
	tests := []struct {
		name      string
		holds     []*heldPull
		key       queueKey
		maxOffset int64
		tagsCode  int64
		woken     []int // indexes into holds
	}{
		{
			name:  "wakes holds behind the new max offset",
			holds: []*heldPull{{key: q0, offset: 5}, {key: q0, offset: 6}, {key: q0, offset: 4}},
			key:   q0, maxOffset: 6, woken: []int{0, 2},
		},
		{
			name:  "other queue untouched",
			holds: []*heldPull{{key: q1, offset: 0}},
			key:   q0, maxOffset: 1,
		},
		{
			name:  "filter decides",
			holds: []*heldPull{{key: q0, offset: 0, match: onlyA}, {key: q0, offset: 0}},
			key:   q0, maxOffset: 1, tagsCode: 66, woken: []int{1},
		},
		{
			name:  "matching tag wakes filtered hold",
			holds: []*heldPull{{key: q0, offset: 0, match: onlyA}},
			key:   q0, maxOffset: 1, tagsCode: tagA, woken: []int{0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPullHolds()
			for _, h := range tt.holds {
				h.deadline = t0.Add(time.Minute)
				p.hold(h)
			}
			got := p.arrived(tt.key, tt.maxOffset, tt.tagsCode)
			var want []*heldPull
			for _, i := range tt.woken {
				want = append(want, tt.holds[i])
			}
			if !sameHolds(got, want) {
				t.Fatalf("woken %v, want %v", got, want)
			}
			if p.len() != len(tt.holds)-len(want) {
				t.Errorf("len = %d, want %d", p.len(), len(tt.holds)-len(want))
			}
			// A woken hold is gone: a second arrival never returns it again.
			for _, h := range p.arrived(tt.key, tt.maxOffset, tt.tagsCode) {
				if slices.Contains(want, h) {
					t.Errorf("hold %v woken twice", h)
				}
			}
		})
	}
}

func TestPullHoldsSweep(t *testing.T) {
	t0 := time.Unix(1000, 0)
	q0 := queueKey{"T", 0}
	early := &heldPull{key: q0, offset: 3, deadline: t0.Add(5 * time.Second)}
	late := &heldPull{key: q0, offset: 3, deadline: t0.Add(20 * time.Second)}
	behind := &heldPull{key: queueKey{"U", 0}, offset: 1, deadline: t0.Add(20 * time.Second)}
	p := newPullHolds()
	for _, h := range []*heldPull{early, late, behind} {
		p.hold(h)
	}
	maxOffsets := map[queueKey]int64{q0: 3, {"U", 0}: 2}
	maxOf := func(k queueKey) int64 { return maxOffsets[k] }

	if got := p.sweep(t0, maxOf); !sameHolds(got, []*heldPull{behind}) {
		t.Fatalf("sweep at t0 = %v, want only the hold behind its max offset", got)
	}
	if got := p.sweep(t0.Add(5*time.Second), maxOf); !sameHolds(got, []*heldPull{early}) {
		t.Fatalf("sweep at deadline = %v, want the early hold", got)
	}
	if got := p.sweep(t0.Add(10*time.Second), maxOf); len(got) != 0 {
		t.Fatalf("sweep before the late deadline = %v, want none", got)
	}
	if got := p.sweep(t0.Add(time.Hour), maxOf); !sameHolds(got, []*heldPull{late}) {
		t.Fatalf("final sweep = %v, want the late hold", got)
	}
	if p.len() != 0 || len(p.byKey) != 0 {
		t.Errorf("holds left: %d, keys %d", p.len(), len(p.byKey))
	}
}

func TestPullHoldsTakeAndDrop(t *testing.T) {
	connA, connB := new(int), new(int)
	q0 := queueKey{"T", 0}
	a1 := &heldPull{key: q0, owner: connA}
	a2 := &heldPull{key: queueKey{"T", 1}, owner: connA}
	b1 := &heldPull{key: q0, owner: connB}
	p := newPullHolds()
	for _, h := range []*heldPull{a1, a2, b1} {
		p.hold(h)
	}
	if !p.take(b1) {
		t.Fatal("take of a held pull failed")
	}
	if p.take(b1) {
		t.Fatal("a hold was taken twice")
	}
	if n := p.dropOwner(connA); n != 2 {
		t.Fatalf("dropOwner = %d, want 2", n)
	}
	if p.len() != 0 {
		t.Fatalf("len = %d after dropping everything", p.len())
	}
	p.hold(a1)
	if got := p.drain(); !sameHolds(got, []*heldPull{a1}) || p.len() != 0 {
		t.Fatalf("drain = %v", got)
	}
}

func TestTaskQueueRunsEverything(t *testing.T) {
	q := newTaskQueue(3)
	var n atomic.Int64
	for range 100 {
		q.push(func() { n.Add(1) })
	}
	q.close()
	if n.Load() != 100 {
		t.Fatalf("ran %d tasks, want 100", n.Load())
	}
	q.push(func() { n.Add(1) }) // dropped after close, must not block or panic
}

func sameHolds(a, b []*heldPull) bool {
	if len(a) != len(b) {
		return false
	}
	for _, h := range a {
		if !slices.Contains(b, h) {
			return false
		}
	}
	return true
}
