package client

import (
	"context"
	"reflect"
	"sync/atomic"
	"time"
)

// sharedDeadline hands out deadline contexts that many sends share, so that
// a send whose context has no deadline does not pay for a context and a
// runtime timer of its own (context.WithTimeout plus its cancel was a tenth
// of the client's CPU per message under load).
//
// Sends that start within one slack window of each other, with the same
// parent context, get the same child context, whose deadline lies between
// timeout and timeout+slack after each of their starts. The child is never
// cancelled explicitly: its timer fires at the deadline, after which no send
// uses it any more (a send that started later would want a later deadline),
// and it is released then. At most timeout/slack such contexts live per
// producer at a time.
type sharedDeadline struct {
	timeout time.Duration
	slack   time.Duration
	cur     atomic.Pointer[deadlineCtx]
}

// deadlineCtx is one shared child context and what it was made for.
type deadlineCtx struct {
	parent   context.Context
	deadline time.Time
	ctx      context.Context
	cancel   context.CancelFunc // kept so the context is owned; its timer releases it
}

func newSharedDeadline(timeout time.Duration) *sharedDeadline {
	// A send may time out up to 1% (at most 50 ms) late; in exchange one
	// context serves every send of that window.
	slack := min(max(timeout/100, time.Millisecond), 50*time.Millisecond)
	return &sharedDeadline{timeout: timeout, slack: slack}
}

// noCancel is the cancel function of contexts nobody needs to cancel.
func noCancel() {}

// with returns ctx when it has a deadline, and otherwise a context that ends
// when ctx does or between timeout and timeout+slack after now (the
// current time, which the caller has at hand). The caller
// calls the returned cancel function when done, as with context.WithTimeout;
// for shared contexts it does nothing.
func (d *sharedDeadline) with(ctx context.Context, now time.Time) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, noCancel
	}
	if !shareable(ctx) {
		// Comparing it with the cached parent could panic; such contexts
		// are rare (every context of package context is shareable).
		return context.WithTimeout(ctx, d.timeout)
	}
	want := now.Add(d.timeout)
	if e := d.cur.Load(); e != nil && e.parent == ctx && !e.deadline.Before(want) && e.deadline.Sub(want) <= d.slack {
		return e.ctx, noCancel
	}
	// Several goroutines may get here at once and each make a context; the
	// last one stored wins and the others serve only their own send, which
	// is harmless.
	e := &deadlineCtx{parent: ctx, deadline: want.Add(d.slack)}
	e.ctx, e.cancel = context.WithDeadline(ctx, e.deadline)
	d.cur.Store(e)
	return e.ctx, noCancel
}

// shareable reports whether ctx can be compared with == without panicking:
// pointers always, and the Background and TODO values.
func shareable(ctx context.Context) bool {
	return reflect.TypeOf(ctx).Kind() == reflect.Pointer || ctx == context.Background() || ctx == context.TODO()
}
