package client

import (
	"context"
	"testing"
	"time"
)

// uncomparableCtx is a context type that cannot be compared with ==.
type uncomparableCtx struct {
	context.Context
	_ []int
}

func TestSharedDeadline(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	withDeadline, cancel2 := context.WithTimeout(context.Background(), time.Hour)
	defer cancel2()
	cancellable, cancel3 := context.WithCancel(context.Background())
	defer cancel3()
	tests := []struct {
		name       string
		ctx        context.Context
		same       bool // two calls in a row share the context
		passedThru bool // the caller's context is returned as is
		done       bool
	}{
		{"background", context.Background(), true, false, false},
		{"cancellable", cancellable, true, false, false},
		{"cancelled parent", cancelled, true, false, true},
		{"own deadline", withDeadline, true, true, false},
		{"uncomparable", uncomparableCtx{Context: context.Background()}, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newSharedDeadline(time.Minute)
			before := time.Now()
			c1, cancel1 := d.with(tt.ctx, time.Now())
			defer cancel1()
			c2, cancelB := d.with(tt.ctx, time.Now())
			defer cancelB()
			if got := c1 == c2; got != tt.same {
				t.Errorf("shared = %v, want %v", got, tt.same)
			}
			if got := c1 == tt.ctx; got != tt.passedThru {
				t.Errorf("passed through = %v, want %v", got, tt.passedThru)
			}
			dl, ok := c1.Deadline()
			if !ok {
				t.Fatal("no deadline")
			}
			if !tt.passedThru && (dl.Before(before.Add(time.Minute)) || dl.After(time.Now().Add(time.Minute+d.slack))) {
				t.Errorf("deadline %v not within [now+timeout, now+timeout+slack]", dl.Sub(before))
			}
			if got := c1.Err() != nil; got != tt.done {
				t.Errorf("done = %v, want %v", got, tt.done)
			}
		})
	}
}

func TestSharedDeadlineExpires(t *testing.T) {
	d := newSharedDeadline(time.Millisecond)
	ctx, cancel := d.with(context.Background(), time.Now())
	defer cancel()
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("shared context never expired")
	}
	if ctx.Err() != context.DeadlineExceeded {
		t.Fatalf("err = %v, want DeadlineExceeded", ctx.Err())
	}
	// A later send gets a fresh context, not the expired one.
	next, cancel2 := d.with(context.Background(), time.Now())
	defer cancel2()
	if next == ctx || next.Err() != nil {
		t.Fatal("got the expired context again")
	}
}
