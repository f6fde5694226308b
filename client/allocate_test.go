package client

import (
	"fmt"
	"slices"
	"testing"
)

func queues(broker string, n int) []MessageQueue {
	var out []MessageQueue
	for i := range n {
		out = append(out, MessageQueue{Topic: "T", BrokerName: broker, QueueID: int32(i)})
	}
	return out
}

func ids(qs []MessageQueue) []string {
	var out []string
	for _, q := range qs {
		out = append(out, fmt.Sprintf("%s#%d", q.BrokerName, q.QueueID))
	}
	return out
}

func TestAllocateStrategies(t *testing.T) {
	eight := queues("b", 8)
	three := []string{"c1", "c2", "c3"}
	rooms := append(queues("r1@b", 4), queues("r2@b", 3)...)
	tests := []struct {
		name     string
		strategy AllocateStrategy
		queues   []MessageQueue
		clients  []string
		want     map[string][]string // client -> queue ids
	}{
		{"averagely 8/3", AllocateAveragely, eight, three, map[string][]string{
			"c1": {"b#0", "b#1", "b#2"}, "c2": {"b#3", "b#4", "b#5"}, "c3": {"b#6", "b#7"}}},
		{"averagely 2/3", AllocateAveragely, queues("b", 2), three, map[string][]string{
			"c1": {"b#0"}, "c2": {"b#1"}, "c3": nil}},
		{"averagely 6/3", AllocateAveragely, queues("b", 6), three, map[string][]string{
			"c1": {"b#0", "b#1"}, "c2": {"b#2", "b#3"}, "c3": {"b#4", "b#5"}}},
		{"averagely one client", AllocateAveragely, queues("b", 3), []string{"c1"}, map[string][]string{
			"c1": {"b#0", "b#1", "b#2"}}},
		{"circle 8/3", AllocateAveragelyByCircle, eight, three, map[string][]string{
			"c1": {"b#0", "b#3", "b#6"}, "c2": {"b#1", "b#4", "b#7"}, "c3": {"b#2", "b#5"}}},
		{"by config", AllocateByConfig(queues("x", 2)), eight, three, map[string][]string{
			"c1": {"x#0", "x#1"}}},
		{"machine room r1 of 2 clients", AllocateByMachineRoom([]string{"r1"}), rooms, []string{"c1", "c2"}, map[string][]string{
			"c1": {"r1@b#0", "r1@b#1"}, "c2": {"r1@b#2", "r1@b#3"}}},
		{"machine room both, remainder", AllocateByMachineRoom([]string{"r1", "r2"}), rooms, []string{"c1", "c2"}, map[string][]string{
			"c1": {"r1@b#0", "r1@b#1", "r1@b#2", "r2@b#2"}, "c2": {"r1@b#3", "r2@b#0", "r2@b#1"}}},
		{"unknown client", AllocateAveragely, eight, three, map[string][]string{"nobody": nil}},
		{"no queues", AllocateAveragely, nil, three, map[string][]string{"c1": nil}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for cid, want := range tc.want {
				got := ids(tc.strategy("g", cid, tc.queues, tc.clients))
				if !slices.Equal(got, want) {
					t.Errorf("%s: got %v, want %v", cid, got, want)
				}
			}
		})
	}
}

// TestAllocatePartition checks that every strategy that shares queues gives
// each queue to exactly one consumer, for many sizes.
func TestAllocatePartition(t *testing.T) {
	strategies := map[string]AllocateStrategy{
		"averagely":       AllocateAveragely,
		"circle":          AllocateAveragelyByCircle,
		"consistent hash": AllocateConsistentHash(0),
	}
	for name, s := range strategies {
		for nq := 0; nq <= 17; nq++ {
			for nc := 1; nc <= 6; nc++ {
				qs := append(queues("a", nq/2), queues("b", nq-nq/2)...)
				var clients []string
				for i := range nc {
					clients = append(clients, fmt.Sprintf("10.0.0.%d@%d", i, i))
				}
				owner := map[MessageQueue]string{}
				for _, c := range clients {
					for _, q := range s("g", c, qs, clients) {
						if o, dup := owner[q]; dup {
							t.Fatalf("%s %d/%d: %v owned by %s and %s", name, nq, nc, q, o, c)
						}
						owner[q] = c
					}
				}
				if len(owner) != len(qs) {
					t.Fatalf("%s %d/%d: %d of %d queues allocated", name, nq, nc, len(owner), len(qs))
				}
			}
		}
	}
}

func TestConsistentHashStability(t *testing.T) {
	qs := append(queues("a", 16), queues("b", 16)...)
	before := []string{"c1", "c2", "c3", "c4"}
	after := []string{"c1", "c2", "c3", "c4", "c5"}
	s := AllocateConsistentHash(10)
	moved := 0
	for _, c := range before {
		old := s("g", c, qs, before)
		now := s("g", c, qs, after)
		for _, q := range old {
			if !slices.Contains(now, q) {
				moved++
			}
		}
	}
	// Only queues taken by the newcomer move; averagely would move most.
	if taken := len(s("g", "c5", qs, after)); moved != taken {
		t.Fatalf("%d queues moved but the new consumer took %d", moved, taken)
	}
	if ringHash("abc") != 0x90015098 { // MD5("abc") = 900150983cd24fb0...
		t.Fatalf("ringHash = %#x", ringHash("abc"))
	}
	if got := (MessageQueue{"T", "b", 3}).javaString(); got != "MessageQueue [topic=T, brokerName=b, queueId=3]" {
		t.Fatal(got)
	}
}
