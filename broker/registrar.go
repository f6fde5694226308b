package broker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"

	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/remoting"
)

// registrar registers the broker and its topic table with every name server
// (REGISTER_BROKER): periodically, and at once when a topic is created,
// updated or deleted so that clients find new routes without waiting for the
// next period. Requests coalesce: while a round runs, further requests are
// served by one more round that reads the table afresh.
type registrar struct {
	b *Broker

	mu        sync.Mutex
	requested uint64        // rounds asked for so far
	completed uint64        // every request up to this number is served
	lastErr   error         // outcome of the last round
	done      chan struct{} // closed (and replaced) when a round ends
	kick      chan struct{} // capacity 1: "a round is wanted"

	ctx     context.Context // ends when the registrar stops
	cancel  context.CancelFunc
	stopped chan struct{} // closed when run returns
}

func newRegistrar(b *Broker) *registrar {
	r := &registrar{
		b:       b,
		done:    make(chan struct{}),
		kick:    make(chan struct{}, 1),
		stopped: make(chan struct{}),
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	return r
}

// request asks for a registration round and returns its number.
func (r *registrar) request() uint64 {
	r.mu.Lock()
	r.requested++
	n := r.requested
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default: // a round is already pending and will see this request
	}
	return n
}

// registerNow requests a round and waits until it has run or ctx ends. The
// result is nil when at least one name server accepted the registration.
func (r *registrar) registerNow(ctx context.Context) error {
	if len(r.b.cfg.NamesrvAddrs) == 0 {
		return nil
	}
	n := r.request()
	for {
		r.mu.Lock()
		if r.completed >= n {
			err := r.lastErr
			r.mu.Unlock()
			return err
		}
		done := r.done
		r.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return fmt.Errorf("register with name servers: %w", ctx.Err())
		case <-r.stopped:
			return errors.New("register with name servers: broker is stopping")
		}
	}
}

// run serves requested rounds until stop.
func (r *registrar) run(parent context.Context) {
	defer close(r.stopped)
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	go func() {
		select {
		case <-r.ctx.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.kick:
		}
		r.mu.Lock()
		target := r.requested
		r.mu.Unlock()
		err := r.registerAll(ctx)
		r.mu.Lock()
		r.completed = max(r.completed, target)
		r.lastErr = err
		close(r.done)
		r.done = make(chan struct{})
		r.mu.Unlock()
	}
}

// registerAll sends REGISTER_BROKER to every name server in parallel. It
// returns nil when at least one accepted; failures are logged.
func (r *registrar) registerAll(ctx context.Context) error {
	addrs := r.b.cfg.NamesrvAddrs
	if len(addrs) == 0 {
		return nil
	}
	body := r.b.registerBody()
	ext := r.b.registerHeader()
	ext["bodyCrc32"] = strconv.Itoa(int(message.BodyCRC(body)))
	errs := make([]error, len(addrs))
	var wg sync.WaitGroup
	for i, addr := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each name server gets its own copy: the client may keep ext.
			req := remoting.NewRequest(remoting.RequestRegisterBroker, cloneExt(ext), body)
			errs[i] = r.invoke(ctx, addr, req)
		}()
	}
	wg.Wait()
	ok := 0
	for i, err := range errs {
		if err != nil {
			r.b.logger.Warn("register with name server failed", "namesrv", addrs[i], "err", err)
			continue
		}
		ok++
	}
	if ok == 0 {
		return fmt.Errorf("register with name servers: %w", errors.Join(errs...))
	}
	r.b.logger.Debug("registered with name servers", "accepted", ok, "of", len(addrs))
	return nil
}

// invoke sends one request to a name server and checks the answer.
func (r *registrar) invoke(ctx context.Context, addr string, req *remoting.Command) error {
	ctx, cancel := context.WithTimeout(ctx, r.b.cfg.RegisterBrokerTimeout)
	defer cancel()
	resp, err := r.b.nsClient.InvokeSync(ctx, addr, req)
	if err != nil {
		return err
	}
	if resp.Code != remoting.ResponseSuccess {
		return fmt.Errorf("name server answered code %d: %s", resp.Code, resp.Remark)
	}
	return nil
}

// unregister stops the registrar and sends UNREGISTER_BROKER to every name
// server, so that clients stop routing to this broker before it goes away.
func (r *registrar) unregister(ctx context.Context) {
	r.cancel()
	select {
	case <-r.stopped:
	case <-ctx.Done():
		return
	}
	var wg sync.WaitGroup
	for _, addr := range r.b.cfg.NamesrvAddrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := remoting.NewRequest(remoting.RequestUnregisterBroker, map[string]string{
				"brokerName":  r.b.cfg.BrokerName,
				"brokerAddr":  r.b.brokerAddr,
				"clusterName": r.b.cfg.BrokerClusterName,
				"brokerId":    strconv.FormatInt(r.b.cfg.BrokerID, 10),
			}, nil)
			if err := r.invoke(ctx, addr, req); err != nil {
				r.b.logger.Warn("unregister from name server failed", "namesrv", addr, "err", err)
			}
		}()
	}
	wg.Wait()
}

// registerHeader is the RegisterBrokerRequestHeader of this broker.
func (b *Broker) registerHeader() map[string]string {
	host, _, _ := net.SplitHostPort(b.brokerAddr)
	return map[string]string{
		"brokerName":         b.cfg.BrokerName,
		"brokerAddr":         b.brokerAddr,
		"clusterName":        b.cfg.BrokerClusterName,
		"haServerAddr":       net.JoinHostPort(host, strconv.Itoa(int(b.storeHost.Port())+1)),
		"brokerId":           strconv.FormatInt(b.cfg.BrokerID, 10),
		"compressed":         "false",
		"enableActingMaster": "false",
	}
}

// registerBody is the RegisterBrokerBody JSON: the topic table and an empty
// filter-server list, members in fastjson's (sorted) order.
func (b *Broker) registerBody() []byte {
	wrapper := b.topics.SerializeWrapperJSON()
	body := make([]byte, 0, len(wrapper)+64)
	body = append(body, `{"filterServerList":[],"topicConfigSerializeWrapper":`...)
	body = append(body, wrapper...)
	return append(body, '}')
}

func cloneExt(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
