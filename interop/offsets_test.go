package interop

import (
	"context"
	"strconv"
	"time"

	"github.com/saturnmq/saturn/remoting"
)

// brokerOffset asks the broker for one number with Saturn's own remoting
// client: the group's committed offset or the queue's max offset.
func (s *saturn) brokerOffset(code int32, ext map[string]string) (int64, bool) {
	cli := remoting.NewClient(remoting.ClientConfig{})
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := cli.InvokeSync(ctx, s.brokerAddr, remoting.NewRequest(code, ext, nil))
	if err != nil || resp.Code != remoting.ResponseSuccess {
		return 0, false
	}
	v, err := strconv.ParseInt(resp.ExtFields["offset"], 10, 64)
	return v, err == nil
}

// committedAtEnd reports whether group's committed offset equals the max
// offset on every queue of topic.
func (s *saturn) committedAtEnd(group, topic string, queues int) bool {
	for q := range queues {
		qid := strconv.Itoa(q)
		max, ok := s.brokerOffset(remoting.RequestGetMaxOffset, map[string]string{"topic": topic, "queueId": qid})
		if !ok {
			return false
		}
		committed, ok := s.brokerOffset(remoting.RequestQueryConsumerOffset,
			map[string]string{"consumerGroup": group, "topic": topic, "queueId": qid})
		if !ok || committed != max {
			return false
		}
	}
	return true
}
