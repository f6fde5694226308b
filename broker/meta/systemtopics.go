package meta

import (
	"errors"
	"fmt"
)

// SystemTopicOptions chooses the system topics EnsureSystemTopics creates.
// Boolean fields are named after upstream's broker settings; the broker
// passes its configuration through (upstream defaults are noted).
type SystemTopicOptions struct {
	// ClusterName and BrokerName are required: each names a topic of its own
	// (used by mqadmin to address a cluster or a broker), and the cluster
	// names the reply topic "<cluster>_REPLY_TOPIC".
	ClusterName string
	BrokerName  string

	// AutoCreateTopicEnable (upstream default true) creates TBW102 with perm
	// R|W|INHERIT. When false, TBW102 is removed from the table if present,
	// so that name servers stop routing unknown topics to this broker and
	// CreateFromTemplate fails with ErrTemplateNotFound.
	AutoCreateTopicEnable bool
	// DefaultTopicQueueNums is TBW102's queue count; 0 means 8.
	DefaultTopicQueueNums int32

	// ClusterTopicEnable and BrokerTopicEnable (upstream default true) add
	// R|W to the cluster and broker topics; without them those topics have
	// perm INHERIT only.
	ClusterTopicEnable bool
	BrokerTopicEnable  bool

	// TraceTopicEnable (upstream default false) creates the trace topic
	// TraceTopicName ("" means RMQ_SYS_TRACE_TOPIC).
	TraceTopicEnable bool
	TraceTopicName   string

	// DelayLevels is the queue count of SCHEDULE_TOPIC_XXXX, one queue per
	// delay level; 0 means 18.
	DelayLevels int32

	// PopEnable creates the 5.x pop revive topic
	// "rmq_sys_REVIVE_LOG_<cluster>" with ReviveQueueNums queues (0 means 8).
	PopEnable       bool
	ReviveQueueNums int32

	// TimerWheelEnable creates the 5.x timer topic rmq_sys_wheel_timer.
	TimerWheelEnable bool
}

// systemTopics returns the topics opts asks for, as upstream creates them at
// start-up. Queue counts not given here are 1/1 and perms RW.
func (o *SystemTopicOptions) systemTopics() []TopicConfig {
	one := func(name string) TopicConfig {
		c := NewTopicConfig(name)
		c.ReadQueueNums, c.WriteQueueNums = 1, 1
		return c
	}
	sized := func(name string, n int32) TopicConfig {
		c := NewTopicConfig(name)
		c.ReadQueueNums, c.WriteQueueNums = n, n
		return c
	}
	orDefault := func(v, d int32) int32 {
		if v > 0 {
			return v
		}
		return d
	}

	var topics []TopicConfig
	if o.AutoCreateTopicEnable {
		c := sized(AutoCreateTopicKey, orDefault(o.DefaultTopicQueueNums, 8))
		c.Perm = PermReadWrite | PermInherit
		topics = append(topics, c)
	}
	topics = append(topics, one(SelfTestTopic), sized(BenchmarkTopic, 1024))

	cluster := NewTopicConfig(o.ClusterName) // 16/16
	cluster.Perm = PermInherit
	if o.ClusterTopicEnable {
		cluster.Perm |= PermReadWrite
	}
	broker := one(o.BrokerName)
	broker.Perm = PermInherit
	if o.BrokerTopicEnable {
		broker.Perm |= PermReadWrite
	}
	topics = append(topics, cluster, broker,
		one(OffsetMovedEventTopic),
		sized(ScheduleTopic, orDefault(o.DelayLevels, 18)),
		one(ReplyTopic(o.ClusterName)),
		one(TransHalfTopic),
		one(TransOpHalfTopic),
	)
	if o.TraceTopicEnable {
		name := o.TraceTopicName
		if name == "" {
			name = DefaultTraceTopic
		}
		topics = append(topics, one(name))
	}
	if o.PopEnable {
		topics = append(topics, sized(ReviveTopic(o.ClusterName), orDefault(o.ReviveQueueNums, 8)))
	}
	if o.TimerWheelEnable {
		topics = append(topics, one(TimerWheelTopic))
	}
	return topics
}

// EnsureSystemTopics creates the system topics of SystemTopicOptions that are
// missing and persists the table if anything changed. Existing entries are
// kept as they are, as upstream lets topics.json override its built-in
// defaults, with one exception: when auto-creation is disabled TBW102 is
// removed (see SystemTopicOptions.AutoCreateTopicEnable).
func (t *TopicTable) EnsureSystemTopics(opts SystemTopicOptions) error {
	if opts.ClusterName == "" || opts.BrokerName == "" {
		return errors.New("system topics: cluster name and broker name are required")
	}
	topics := opts.systemTopics()
	for i := range topics {
		if err := topics[i].Validate(); err != nil {
			return fmt.Errorf("system topics: %w", err)
		}
	}

	t.mu.Lock()
	changed := false
	for _, c := range topics {
		t.system[c.TopicName] = struct{}{}
		if _, ok := t.items[c.TopicName]; !ok {
			t.items[c.TopicName] = c
			changed = true
		}
	}
	if !opts.AutoCreateTopicEnable {
		if _, ok := t.items[AutoCreateTopicKey]; ok {
			delete(t.items, AutoCreateTopicKey)
			changed = true
		}
	}
	if changed {
		t.changedLocked()
	}
	t.mu.Unlock()
	return t.persist()
}
