package namesrv

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/saturnmq/saturn/remoting"
)

func TestBodyCRC32MatchesJava(t *testing.T) {
	// Java: new CRC32().update("123456789") = 0xCBF43926; UtilAll.crc32
	// clears the sign bit.
	if got := bodyCRC32([]byte("123456789")); got != 0x4BF43926 {
		t.Errorf("bodyCRC32 = %#x, want 0x4bf43926", got)
	}
}

// registerBodyWithTopics builds a 4.9.x-style RegisterBrokerBody with n
// topics.
func registerBodyWithTopics(n int, counter int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":%d,"timestamp":1700000000000},"topicConfigTable":{`, counter)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"Topic%04d":{"order":false,"perm":6,"readQueueNums":8,"topicFilterType":"SINGLE_TAG","topicName":"Topic%04d","topicSysFlag":0,"writeQueueNums":8}`, i, i)
	}
	b.WriteString("}}}")
	return []byte(b.String())
}

func BenchmarkHandleGetRouteInfo(b *testing.B) {
	n, err := newServer(Config{}, quietLogger(), nil)
	if err != nil {
		b.Fatal(err)
	}
	for i, name := range []string{"broker-a", "broker-b"} {
		ext := registerExt("DefaultCluster", name, fmt.Sprintf("10.0.0.%d:10911", i+1), 0)
		req := remoting.NewRequest(remoting.RequestRegisterBroker, ext, registerBodyWithTopics(100, 1))
		if resp := n.handleRegisterBroker(context.Background(), 1, req); resp.Code != 0 {
			b.Fatal(resp.Remark)
		}
	}
	req := remoting.NewRequest(remoting.RequestGetRouteInfoByTopic, map[string]string{"topic": "Topic0042"}, nil)
	req.Version = versionGoClient
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if resp := n.handleGetRouteInfo(context.Background(), 0, req); resp.Code != 0 {
			b.Fatal(resp.Remark)
		}
	}
}

func BenchmarkHandleRegisterBroker1000Topics(b *testing.B) {
	n, err := newServer(Config{}, quietLogger(), nil)
	if err != nil {
		b.Fatal(err)
	}
	ext := registerExt("DefaultCluster", "broker-a", "10.0.0.1:10911", 0)
	// Alternate data versions so that every registration rereads the topics.
	bodies := [][]byte{registerBodyWithTopics(1000, 1), registerBodyWithTopics(1000, 2)}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		req := remoting.NewRequest(remoting.RequestRegisterBroker, ext, bodies[i%2])
		i++
		if resp := n.handleRegisterBroker(context.Background(), 1, req); resp.Code != 0 {
			b.Fatal(resp.Remark)
		}
	}
}
