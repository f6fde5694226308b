package client

import (
	"crypto/md5"
	"encoding/binary"
	"slices"
	"strconv"
	"strings"
)

// AllocateStrategy decides which queues of a topic one consumer of a group
// takes. It gets the group, the consumer's own client id, all readable queues
// of the topic and the client ids of all consumers of the group, both
// sorted, and returns the consumer's share. Every consumer computes its
// share on its own, so a strategy must give each consumer a disjoint share
// that together cover all queues, from the same inputs. It must not keep or
// modify the slices.
type AllocateStrategy func(group, self string, queues []MessageQueue, clients []string) []MessageQueue

// AllocateAveragely is the default strategy (upstream's
// AllocateMessageQueueAveragely): the queues are cut into contiguous ranges
// of nearly equal size, the first consumers taking one more when the count
// does not divide.
func AllocateAveragely(_ string, self string, queues []MessageQueue, clients []string) []MessageQueue {
	index := slices.Index(clients, self)
	if index < 0 || len(queues) == 0 {
		return nil
	}
	n, m := len(queues), len(clients)
	mod := n % m
	size := n / m
	if n <= m {
		size = 1
	} else if mod > 0 && index < mod {
		size++
	}
	start := index*size + mod
	if mod > 0 && index < mod {
		start = index * size
	}
	count := min(size, n-start)
	if count <= 0 {
		return nil
	}
	out := make([]MessageQueue, 0, count)
	for i := range count {
		out = append(out, queues[(start+i)%n])
	}
	return out
}

// AllocateAveragelyByCircle deals the queues out one by one, like cards
// (upstream's AllocateMessageQueueAveragelyByCircle).
func AllocateAveragelyByCircle(_ string, self string, queues []MessageQueue, clients []string) []MessageQueue {
	index := slices.Index(clients, self)
	if index < 0 {
		return nil
	}
	var out []MessageQueue
	for i := index; i < len(queues); i += len(clients) {
		out = append(out, queues[i])
	}
	return out
}

// AllocateByConfig returns a strategy that always takes the given queues,
// whatever the other consumers do (upstream's AllocateMessageQueueByConfig).
// Every consumer of the group must be configured so that the shares are
// disjoint and complete.
func AllocateByConfig(mine []MessageQueue) AllocateStrategy {
	mine = slices.Clone(mine)
	return func(string, string, []MessageQueue, []string) []MessageQueue { return slices.Clone(mine) }
}

// AllocateByMachineRoom returns upstream's AllocateMessageQueueByMachineRoom:
// broker names have the form "<room>@<name>"; only queues of brokers in the
// given rooms are shared out, averagely, among all consumers.
func AllocateByMachineRoom(rooms []string) AllocateStrategy {
	rooms = slices.Clone(rooms)
	return func(_ string, self string, queues []MessageQueue, clients []string) []MessageQueue {
		index := slices.Index(clients, self)
		if index < 0 {
			return nil
		}
		var pre []MessageQueue
		for _, q := range queues {
			room, _, ok := strings.Cut(q.BrokerName, "@")
			if ok && slices.Contains(rooms, room) {
				pre = append(pre, q)
			}
		}
		m := len(clients)
		each, rem := len(pre)/m, len(pre)%m
		out := slices.Clone(pre[index*each : index*each+each])
		if rem > index {
			out = append(out, pre[index+each*m])
		}
		return out
	}
}

// DefaultVirtualNodes is upstream's default virtual node count of the
// consistent-hash strategy.
const DefaultVirtualNodes = 10

// AllocateConsistentHash returns upstream's
// AllocateMessageQueueConsistentHash: consumers are placed on a hash ring
// with virtualNodes points each ("<clientId>-<i>", MD5, first four bytes
// big-endian), and every queue goes to the first point at or after the hash
// of its Java text form. Membership changes move few queues. virtualNodes
// below 1 means DefaultVirtualNodes.
func AllocateConsistentHash(virtualNodes int) AllocateStrategy {
	if virtualNodes < 1 {
		virtualNodes = DefaultVirtualNodes
	}
	return func(_ string, self string, queues []MessageQueue, clients []string) []MessageQueue {
		if !slices.Contains(clients, self) {
			return nil
		}
		type point struct {
			hash  uint32
			owner string
		}
		ring := make([]point, 0, len(clients)*virtualNodes)
		for _, cid := range clients {
			for i := range virtualNodes {
				ring = append(ring, point{ringHash(cid + "-" + strconv.Itoa(i)), cid})
			}
		}
		// Later points replace earlier ones with the same hash, as upstream's
		// TreeMap.put does; a stable sort keeps insertion order for ties.
		slices.SortStableFunc(ring, func(a, b point) int {
			switch {
			case a.hash < b.hash:
				return -1
			case a.hash > b.hash:
				return 1
			}
			return 0
		})
		var out []MessageQueue
		for _, q := range queues {
			h := ringHash(q.javaString())
			i, _ := slices.BinarySearchFunc(ring, h, func(p point, t uint32) int {
				switch {
				case p.hash < t:
					return -1
				case p.hash > t:
					return 1
				}
				return 0
			})
			if i == len(ring) {
				i = 0
			}
			// Among equal hashes the last inserted owns the point.
			for i+1 < len(ring) && ring[i+1].hash == ring[i].hash {
				i++
			}
			if ring[i].owner == self {
				out = append(out, q)
			}
		}
		return out
	}
}

// ringHash is upstream's MD5Hash: the first four digest bytes as a
// big-endian number.
func ringHash(key string) uint32 {
	d := md5.Sum([]byte(key))
	return binary.BigEndian.Uint32(d[:4])
}
