package clients

import (
	"log/slog"
	"sync"

	"github.com/saturnmq/saturn/remoting"
)

// notifier sends NOTIFY_CONSUMER_IDS_CHANGED off the caller's goroutine, so
// that a slow client never delays a heartbeat or a connection clean-up.
//
// There is at most one goroutine per (channel, group). A notification asked
// for while one is being sent to the same pair sets a flag and the goroutine
// sends once more afterwards: notifications are coalesced, never lost (the
// client must see a notification sent after the latest change, since it
// answers by fetching the group's current client ids).
type notifier struct {
	log *slog.Logger

	mu     sync.Mutex
	active map[notifyKey]*notifyState // guarded by mu; one entry per running sender
	idle   *sync.Cond                 // signalled (with mu) when active becomes empty
}

type notifyKey struct {
	ch    Channel
	group string
}

type notifyState struct {
	again bool // guarded by notifier.mu: another send is due
}

func newNotifier(log *slog.Logger) *notifier {
	n := &notifier{log: log, active: make(map[notifyKey]*notifyState)}
	n.idle = sync.NewCond(&n.mu)
	return n
}

// notifyAll tells every channel that group's client ids changed.
func (n *notifier) notifyAll(group string, chans []Channel) {
	for _, ch := range chans {
		n.notify(ch, group)
	}
}

func (n *notifier) notify(ch Channel, group string) {
	k := notifyKey{ch, group}
	n.mu.Lock()
	if st, ok := n.active[k]; ok {
		st.again = true
		n.mu.Unlock()
		return
	}
	n.active[k] = &notifyState{}
	n.mu.Unlock()
	go n.run(k)
}

func (n *notifier) run(k notifyKey) {
	for {
		req := remoting.NewRequest(remoting.RequestNotifyConsumerIDsChanged,
			map[string]string{"consumerGroup": k.group}, nil)
		if err := k.ch.InvokeOneway(req); err != nil {
			// Usually the connection has just closed; its removal follows.
			n.log.Debug("notify consumer ids changed failed",
				"group", k.group, "addr", addrOf(k.ch), "err", err)
		}
		n.mu.Lock()
		st := n.active[k]
		if !st.again {
			delete(n.active, k)
			if len(n.active) == 0 {
				n.idle.Broadcast()
			}
			n.mu.Unlock()
			return
		}
		st.again = false
		n.mu.Unlock()
	}
}

// wait blocks until no notification is being sent.
func (n *notifier) wait() {
	n.mu.Lock()
	for len(n.active) > 0 {
		n.idle.Wait()
	}
	n.mu.Unlock()
}
