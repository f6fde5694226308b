package loadgen

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// timerFD is a fineWaiter on a non-blocking timerfd: its expiry arrives as
// a poller event, so the goroutine parks like on any read instead of holding
// a thread in a sleeping syscall.
type timerFD struct {
	f  *os.File
	fd int
	// baseTime and baseMono are one instant read from both clocks, to turn
	// a time.Time into an absolute CLOCK_MONOTONIC expiry (Go's monotonic
	// readings use that clock too, but do not expose its origin).
	baseTime time.Time
	baseMono int64
	buf      [8]byte
}

func newFineWaiter() (fineWaiter, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("timerfd: %w", err)
	}
	t := &timerFD{fd: fd, baseTime: time.Now()}
	// Read after baseTime: the expiry then errs late by the gap, never early.
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("clock_gettime: %w", err)
	}
	t.baseMono = ts.Nano()
	t.f = os.NewFile(uintptr(fd), "timerfd") // non-blocking: read through the poller
	return t, nil
}

func (t *timerFD) wait(at time.Time) error {
	for time.Until(at) > 0 {
		abs := t.baseMono + int64(at.Sub(t.baseTime))
		spec := unix.ItimerSpec{Value: unix.NsecToTimespec(abs)}
		if err := unix.TimerfdSettime(t.fd, unix.TFD_TIMER_ABSTIME, &spec, nil); err != nil {
			return fmt.Errorf("timerfd_settime: %w", err)
		}
		if _, err := t.f.Read(t.buf[:]); err != nil {
			return fmt.Errorf("timerfd read: %w", err)
		}
	}
	return nil
}

func (t *timerFD) close() { _ = t.f.Close() }
