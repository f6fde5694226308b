package client

import (
	"testing"

	"github.com/saturnmq/saturn/remoting"
)

func TestBrokerErrorText(t *testing.T) {
	tests := []struct {
		err  *BrokerError
		want string
	}{
		{&BrokerError{Addr: "a:1", Request: remoting.RequestSendMessageV2, Code: remoting.ResponseTopicNotExist, Remark: "no topic"},
			"client: a:1 refused SEND_MESSAGE_V2 (310) with code 17 TOPIC_NOT_EXIST: no topic"},
		{&BrokerError{Addr: "a:1", Request: remoting.RequestPullMessage, Code: remoting.ResponseFilterDataNotExist},
			"client: a:1 refused PULL_MESSAGE (11) with code 27 FILTER_DATA_NOT_EXIST"},
		{&BrokerError{Addr: "a:1", Request: 99999, Code: 777},
			"client: a:1 refused request 99999 with code 777"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}
