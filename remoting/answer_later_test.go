package remoting

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestAnswerLater answers requests from another goroutine, in batches as a
// group commit would, with AnswerLater and FinishLater: every request gets
// its own answer, and a oneway request (nil response) is balanced too, so
// later answers on the connection still go out.
func TestAnswerLater(t *testing.T) {
	const code = 4200
	type pending struct {
		conn *Conn
		req  *Command
	}
	var mu sync.Mutex
	var held []pending
	flush := func() {
		mu.Lock()
		batch := held
		held = nil
		mu.Unlock()
		for _, p := range batch {
			var resp *Command
			if !p.req.IsOneway() {
				resp = NewResponse(p.req, ResponseSuccess, p.req.ExtFields["n"])
			}
			if err := p.conn.FinishLater(resp); err != nil {
				t.Errorf("FinishLater: %v", err)
			}
		}
	}
	h := HandlerFunc(func(_ context.Context, conn *Conn, req *Command) *Command {
		conn.AnswerLater()
		mu.Lock()
		held = append(held, pending{conn, req})
		n := len(held)
		mu.Unlock()
		if n >= 16 {
			go flush()
		}
		return nil
	})
	s := startServer(t, ServerConfig{}, func(s *Server) { s.Register(code, "later", h) })
	c := newClient(t, ClientConfig{})

	// A oneway request first: its nil answer must still end its hold.
	if err := c.InvokeOneway(ctxT(t), s.addr, NewRequest(code, map[string]string{"n": "-1"}, nil)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := c.InvokeSync(ctxT(t), s.addr, NewRequest(code, map[string]string{"n": strconv.Itoa(i)}, nil))
			switch {
			case err != nil:
				errs <- err
			case resp.Code != ResponseSuccess || resp.Remark != strconv.Itoa(i):
				errs <- fmt.Errorf("request %d answered %d %q", i, resp.Code, resp.Remark)
			}
		}()
	}
	// 65 requests in batches of 16: answer whatever the last batch left.
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for {
		select {
		case <-done:
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			return
		default:
			flush()
			time.Sleep(100 * time.Microsecond)
		}
	}
}
