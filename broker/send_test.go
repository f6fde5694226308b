package broker

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/saturnmq/saturn/broker/meta"
	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/remoting"
)

func TestSendThenPullAllSendCodes(t *testing.T) {
	tb := startBroker(t, t.TempDir(), nil)
	const topic = "SendCodes"
	batch, err := message.EncodeBatch([]*message.Message{
		{Body: []byte("batch-0"), Properties: map[string]string{"TAGS": "b", "KEYS": "k0"}},
		{Body: []byte("batch-1"), Flag: 7},
		{Body: []byte("batch-2"), Properties: map[string]string{"UNIQ_KEY": "OWNID"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		code   int32
		ext    map[string]string
		body   []byte
		bodies []string
	}{
		{"SEND_MESSAGE long names", remoting.RequestSendMessage,
			sendExt(topic, 0, map[string]string{"TAGS": "a", "UNIQ_KEY": "CLIENTID1"}), []byte("one"), []string{"one"}},
		{"SEND_MESSAGE_V2 short names", remoting.RequestSendMessageV2,
			sendV2Ext(topic, 0, map[string]string{"TAGS": "a"}, false), []byte("two"), []string{"two"}},
		{"SEND_BATCH_MESSAGE", remoting.RequestSendBatchMessage,
			sendV2Ext(topic, 0, nil, true), batch, []string{"batch-0", "batch-1", "batch-2"}},
	}
	var wantBodies []string
	nextOffset := int64(0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := tb.call(tt.code, tt.ext, tt.body)
			if resp.Code != remoting.ResponseSuccess {
				t.Fatalf("code %d %q", resp.Code, resp.Remark)
			}
			for _, k := range []string{"msgId", "queueId", "queueOffset", "transactionId", "MSG_REGION", "TRACE_ON"} {
				if _, ok := resp.ExtFields[k]; !ok {
					t.Errorf("response lacks ext field %q: %v", k, resp.ExtFields)
				}
			}
			if resp.ExtFields["queueId"] != "0" || resp.ExtFields["queueOffset"] != strconv.FormatInt(nextOffset, 10) {
				t.Errorf("queueId/queueOffset = %s/%s, want 0/%d", resp.ExtFields["queueId"], resp.ExtFields["queueOffset"], nextOffset)
			}
			ids := strings.Split(resp.ExtFields["msgId"], ",")
			if len(ids) != len(tt.bodies) {
				t.Fatalf("msgId %q has %d ids, want %d", resp.ExtFields["msgId"], len(ids), len(tt.bodies))
			}
			for _, id := range ids {
				host, _, err := message.ParseOffsetMsgID(id)
				if err != nil || host.String() != tb.addr {
					t.Errorf("msgId %q: host %v err %v, want %s", id, host, err, tb.addr)
				}
			}
			tb.waitVisible(resp)
			nextOffset += int64(len(tt.bodies))
			wantBodies = append(wantBodies, tt.bodies...)
		})
	}

	resp := tb.pull("cg", topic, 0, 0, "*")
	if resp.Code != remoting.ResponseSuccess {
		t.Fatalf("pull: code %d %q", resp.Code, resp.Remark)
	}
	if resp.ExtFields["nextBeginOffset"] != "5" || resp.ExtFields["maxOffset"] != "5" || resp.ExtFields["minOffset"] != "0" ||
		resp.ExtFields["suggestWhichBrokerId"] != "0" {
		t.Errorf("pull ext = %v", resp.ExtFields)
	}
	msgs := decode(t, resp.Body)
	if len(msgs) != len(wantBodies) {
		t.Fatalf("pulled %d messages, want %d", len(msgs), len(wantBodies))
	}
	for i, m := range msgs {
		if string(m.Body) != wantBodies[i] || m.Topic != topic || m.QueueOffset != int64(i) {
			t.Errorf("message %d = %q topic %s offset %d", i, m.Body, m.Topic, m.QueueOffset)
		}
		if m.StoreHost.String() != tb.addr {
			t.Errorf("message %d store host %v, want %s", i, m.StoreHost, tb.addr)
		}
		if m.Property("CLUSTER") != "DefaultCluster" || m.Property("MSG_REGION") != "DefaultRegion" {
			t.Errorf("message %d lacks broker properties: %v", i, m.Properties)
		}
	}
	if msgs[0].Property("UNIQ_KEY") != "CLIENTID1" || msgs[1].Property("UNIQ_KEY") == "" {
		t.Errorf("UNIQ_KEY: client's kept %q, generated %q", msgs[0].Property("UNIQ_KEY"), msgs[1].Property("UNIQ_KEY"))
	}
	if msgs[3].Flag != 7 || msgs[2].Tags() != "b" || msgs[4].Property("UNIQ_KEY") != "OWNID" {
		t.Errorf("batch items lost their own fields: flag %d tags %q uniq %q", msgs[3].Flag, msgs[2].Tags(), msgs[4].Property("UNIQ_KEY"))
	}
	// The pull body is the stored bytes: re-encoding what was decoded gives
	// the same bytes.
	var again []byte
	for _, m := range msgs {
		again, err = message.AppendStored(again, m)
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(again, resp.Body) {
		t.Error("pull body differs from the stored encoding of its messages")
	}
}

func TestAutoCreateTopic(t *testing.T) {
	t.Run("enabled", func(t *testing.T) {
		tb := startBroker(t, t.TempDir(), nil)
		resp := tb.call(remoting.RequestSendMessage, sendExt("NewTopic", -1, nil), []byte("x"))
		if resp.Code != remoting.ResponseSuccess {
			t.Fatalf("send to a new topic: code %d %q", resp.Code, resp.Remark)
		}
		tc, ok := tb.b.topics.Get("NewTopic")
		if !ok {
			t.Fatal("topic was not created")
		}
		// min(defaultTopicQueueNums from the client (4), TBW102's 8), perm RW.
		if tc.ReadQueueNums != 4 || tc.WriteQueueNums != 4 || tc.Perm != meta.PermReadWrite {
			t.Errorf("created topic = %+v", tc)
		}
		if q, _ := strconv.Atoi(resp.ExtFields["queueId"]); q < 0 || q >= 4 {
			t.Errorf("queueId %d outside the new topic's queues", q)
		}
	})
	t.Run("disabled", func(t *testing.T) {
		tb := startBroker(t, t.TempDir(), func(c *Config) { c.AutoCreateTopicEnable = false })
		resp := tb.call(remoting.RequestSendMessage, sendExt("NewTopic", 0, nil), []byte("x"))
		if resp.Code != remoting.ResponseTopicNotExist {
			t.Fatalf("code %d %q, want TOPIC_NOT_EXIST", resp.Code, resp.Remark)
		}
		if _, ok := tb.b.topics.Get("NewTopic"); ok {
			t.Error("topic created although auto-creation is off")
		}
	})
}

func TestSendValidation(t *testing.T) {
	tb := startBroker(t, t.TempDir(), func(c *Config) { c.MaxMessageSize = 64 << 10 })
	tb.createTopic("ReadOnly", 2, meta.PermRead)
	tb.createTopic("TwoQueues", 2, meta.PermReadWrite)
	tests := []struct {
		name   string
		topic  string
		queue  int
		body   []byte
		props  map[string]string
		code   int32
		remark string
	}{
		{"blank topic", "", 0, []byte("x"), nil, remoting.ResponseInvalidParameter, "blank"},
		{"illegal characters", "a b", 0, []byte("x"), nil, remoting.ResponseInvalidParameter, "illegal characters"},
		{"too long", strings.Repeat("t", 128), 0, []byte("x"), nil, remoting.ResponseInvalidParameter, "max length"},
		{"system topic", "SCHEDULE_TOPIC_XXXX", 0, []byte("x"), nil, remoting.ResponseNoPermission, "forbidden"},
		{"not writable", "ReadOnly", 0, []byte("x"), nil, remoting.ResponseNoPermission, "forbidden"},
		{"queue out of range", "TwoQueues", 99, []byte("x"), nil, remoting.ResponseInvalidParameter, "queueId[99] is illegal"},
		{"oversized", "Big", 0, make([]byte, 64<<10+1), nil, remoting.ResponseMessageIllegal, "max value"},
		{"transactional", "Tx", 0, []byte("x"), map[string]string{"TRAN_MSG": "true"}, remoting.ResponseNoPermission, "transactional"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := tb.call(remoting.RequestSendMessage, sendExt(tt.topic, tt.queue, tt.props), tt.body)
			if resp.Code != tt.code || !strings.Contains(resp.Remark, tt.remark) {
				t.Errorf("code %d %q, want %d containing %q", resp.Code, resp.Remark, tt.code, tt.remark)
			}
			if _, ok := resp.ExtFields["MSG_REGION"]; !ok {
				t.Errorf("error response lacks MSG_REGION")
			}
			// The broker keeps serving after every refusal.
			tb.send("Fine", 0, "ok", nil)
		})
	}
}

func TestBatchRules(t *testing.T) {
	tb := startBroker(t, t.TempDir(), nil)
	delayed, _ := message.EncodeBatch([]*message.Message{{Body: []byte("x"), Properties: map[string]string{"DELAY": "3"}}})
	plain, _ := message.EncodeBatch([]*message.Message{{Body: []byte("x")}})
	tests := []struct {
		name  string
		topic string
		body  []byte
		code  int32
	}{
		{"retry topic", "%RETRY%g", plain, remoting.ResponseMessageIllegal},
		{"delay level", "T", delayed, remoting.ResponseMessageIllegal},
		{"malformed", "T", []byte{0, 0, 0, 9, 1}, remoting.ResponseMessageIllegal},
		{"fine", "T", plain, remoting.ResponseSuccess},
	}
	for _, tt := range tests {
		resp := tb.call(remoting.RequestSendBatchMessage, sendV2Ext(tt.topic, 0, nil, true), tt.body)
		if resp.Code != tt.code {
			t.Errorf("%s: code %d %q, want %d", tt.name, resp.Code, resp.Remark, tt.code)
		}
	}
}

func TestMergeProperties(t *testing.T) {
	enc := message.EncodeProperties
	tests := []struct {
		name     string
		props    string
		pairs    [][2]string
		override bool
		want     map[string]string
	}{
		{"append to empty", "", [][2]string{{"A", "1"}}, true, map[string]string{"A": "1"}},
		{"append keeps client's", enc(map[string]string{"X": "y"}), [][2]string{{"A", "1"}}, true, map[string]string{"X": "y", "A": "1"}},
		{"missing separator", "X\x01y", [][2]string{{"A", "1"}}, true, map[string]string{"X": "y", "A": "1"}},
		{"override conflict", enc(map[string]string{"A": "0", "X": "y"}), [][2]string{{"A", "1"}}, true, map[string]string{"X": "y", "A": "1"}},
		{"no override", enc(map[string]string{"A": "0"}), [][2]string{{"A", "1"}, {"B", "2"}}, false, map[string]string{"A": "0", "B": "2"}},
		{"strip POP_CK", enc(map[string]string{"POP_CK": "c"}), [][2]string{{"A", "1"}}, true, map[string]string{"A": "1"}},
	}
	for _, tt := range tests {
		got := message.DecodeProperties(mergeProperties(tt.props, tt.pairs, tt.override))
		if len(got) != len(tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
			continue
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
			}
		}
	}
}
