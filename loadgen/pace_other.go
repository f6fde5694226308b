//go:build !linux

package loadgen

import "errors"

// newFineWaiter has no fine waiter outside Linux: pacing uses the runtime
// timer alone.
func newFineWaiter() (fineWaiter, error) {
	return nil, errors.New("no fine waiter on this platform")
}
