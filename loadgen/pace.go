package loadgen

import "time"

// coarseLead is how long before a send time the pacer stops waiting on a
// runtime timer and hands over to the fine waiter. Runtime timers wake up to
// about 1 ms late (below), so the lead must exceed that; a wait in the fine
// waiter is also not interruptible by stop, so the lead bounds how late a
// stop is noticed.
const coarseLead = 2 * time.Millisecond

// fineMin is the shortest wait handed to the fine waiter. Shorter waits
// come with high send rates, when the process is busy and the scheduler
// checks timers often enough that they fire on time; there a timerfd only
// added poller round trips (at half of peak rate, 53,000 sends/s: publish
// p50 0.43-0.87 ms with the runtime timer, 1.7-6 ms with the timerfd).
const fineMin = 250 * time.Microsecond

// pacer waits for the scheduled send times of one producer.
//
// Why not just a runtime timer: an idle Go process sleeps in epoll_wait,
// whose timeout has millisecond granularity, so a timer due in 0.3 ms fires
// after 1 ms and one due in 1.6 ms after 2 ms. Measured on the 2-core test
// machine at 5,000 sends/s over four producers: timer lateness p50 0.53 ms,
// p90 1.0 ms. Send latencies are measured from the schedule (no coordinated
// omission), so all of that was the load tool's own delay counted as the
// broker's. A fine waiter (a timerfd on Linux, woken through the same
// poller) is late by p50 ~5 µs, p90 ~20 µs. It costs CPU: sends are now
// evenly spaced, one wake-up each, where late timers used to fire together
// once a millisecond; e2e at 5,000 msg/s went from ~60 to ~110 µs of load
// tool CPU per message.
type pacer struct {
	timer *time.Timer
	fine  fineWaiter // nil: the runtime timer alone
}

// fineWaiter sleeps until a point in time with sub-millisecond precision.
type fineWaiter interface {
	// wait returns at or after at; it is not interruptible.
	wait(at time.Time) error
	close()
}

func newPacer() *pacer {
	p := &pacer{timer: time.NewTimer(time.Hour)}
	p.timer.Stop()
	if f, err := newFineWaiter(); err == nil {
		p.fine = f
	}
	return p
}

// wait returns true at or after at, or false once stop is closed (checked
// at least every coarseLead while waiting).
func (p *pacer) wait(at time.Time, stop <-chan struct{}) bool {
	for {
		d := time.Until(at)
		if d <= 0 {
			return true
		}
		if p.fine != nil && d <= coarseLead && d >= fineMin {
			if err := p.fine.wait(at); err != nil {
				// Fall back to the timer for the rest of the run.
				p.fine.close()
				p.fine = nil
			}
			continue
		}
		if p.fine != nil && d > coarseLead {
			d -= coarseLead
		}
		p.timer.Reset(d)
		select {
		case <-stop:
			p.timer.Stop()
			return false
		case <-p.timer.C:
		}
	}
}

func (p *pacer) close() {
	p.timer.Stop()
	if p.fine != nil {
		p.fine.close()
	}
}
