package loadgen

import "time"

// Result is what a run measured.
type Result struct {
	Target string       `json:"target"`
	Mode   Mode         `json:"mode"`
	Config ResultConfig `json:"config"`
	// Send is nil in consume mode.
	Send *SendStats `json:"send,omitempty"`
	// Receive is nil in produce mode.
	Receive *ReceiveStats `json:"receive,omitempty"`
	// FlushMode is a label for the broker's durability setting, as the
	// caller stated it (the engine cannot see the broker's setting).
	FlushMode string `json:"flush_mode,omitempty"`
	// BrokerCPU is the broker's CPU use during the run, when the caller
	// measured it.
	BrokerCPU *CPUUsage `json:"broker_cpu,omitempty"`
	// LoadCPU is the load tool's own CPU use (this process) from the start
	// of sending or receiving until the run's senders and receivers
	// finished, divided by the same messages as BrokerCPU. On a machine
	// shared with the broker it is the CPU the broker could not use.
	LoadCPU *CPUUsage `json:"load_cpu,omitempty"`
	// Machine is how the whole machine's CPUs spent the same span (Linux):
	// with much stolen by the host, figures of the run are not comparable
	// with those of a quiet machine.
	Machine *MachineUsage `json:"machine_cpu,omitempty"`
}

// ResultConfig echoes the settings a result was measured with.
type ResultConfig struct {
	Topic       string  `json:"topic"`
	Queues      int     `json:"queues"`
	MessageSize int     `json:"message_size"`
	Producers   int     `json:"producers"`
	InFlight    int     `json:"in_flight"`
	Batch       int     `json:"batch"`
	Consumers   int     `json:"consumers"`
	Rate        float64 `json:"target_rate,omitempty"`
	Messages    int64   `json:"messages_limit,omitempty"`
	Duration    float64 `json:"duration_limit_s,omitempty"`
	Warmup      float64 `json:"warmup_s,omitempty"`
}

// SendStats describes the sending side of a run. Messages sent during the
// warm-up are in Warmup only; every other figure leaves them out.
type SendStats struct {
	// Elapsed is the measured period in seconds: from the end of the
	// warm-up (or the first send) to the last acknowledgement.
	Elapsed float64 `json:"elapsed_s"`
	// Messages is the number of messages acknowledged in that period.
	Messages int64 `json:"messages"`
	// Warmup is the number of messages acknowledged during the warm-up.
	Warmup int64 `json:"warmup_messages,omitempty"`
	// Failed is the number of messages whose send failed.
	Failed int64 `json:"failed"`
	// Unacknowledged is the number of messages still outstanding when the
	// drain timeout ended the run.
	Unacknowledged int64   `json:"unacknowledged,omitempty"`
	Rate           float64 `json:"messages_per_s"`
	MBps           float64 `json:"mb_per_s"`
	// Latency is the publish latency of acknowledged messages: from the
	// intended (with a target rate) or actual send time to the
	// acknowledgement. A batch counts once per message it holds.
	Latency Latency `json:"latency"`
	// Errors counts failed messages by kind.
	Errors map[string]int64 `json:"errors,omitempty"`
}

// ReceiveStats describes the receiving side of a run.
type ReceiveStats struct {
	// Elapsed is the receiving period in seconds: from the first to the
	// last message received.
	Elapsed float64 `json:"elapsed_s"`
	// Messages is the number of messages received: this run's in e2e mode,
	// all of them in consume mode.
	Messages int64 `json:"messages"`
	// Foreign is the number of messages of other runs received in e2e mode
	// (left in the topic earlier); they are not counted in Messages.
	Foreign int64   `json:"foreign,omitempty"`
	Rate    float64 `json:"messages_per_s"`
	MBps    float64 `json:"mb_per_s"`
	// Missing is, in e2e mode, how many acknowledged messages had not
	// arrived when the drain timeout ended the run.
	Missing int64 `json:"missing,omitempty"`
	// Latency is the end-to-end latency (e2e mode only): from the intended
	// send time written into the body to its receipt.
	Latency *Latency `json:"latency,omitempty"`
	// ToStore and FromStore split Latency at the broker's store time, when
	// the target reports it: from the intended send time to the store time,
	// and from the store time to receipt. Store times in milliseconds
	// (RocketMQ's) move up to 1 ms from the first part to the second.
	ToStore   *Latency `json:"to_store_latency,omitempty"`
	FromStore *Latency `json:"from_store_latency,omitempty"`
}

// Progress is one periodic progress report.
type Progress struct {
	Elapsed time.Duration `json:"-"`
	Seconds float64       `json:"elapsed_s"`
	// SendRate is messages acknowledged per second in the interval.
	SendRate float64 `json:"send_per_s"`
	SendMBps float64 `json:"send_mb_per_s"`
	// InFlight is the number of messages sent and not yet answered.
	InFlight int64 `json:"in_flight"`
	// Failed is the number of failed messages so far.
	Failed int64 `json:"failed"`
	// Latency is the publish latency of the interval.
	Latency Latency `json:"latency"`
	// ReceiveRate is messages received per second in the interval.
	ReceiveRate float64 `json:"receive_per_s"`
	// Received is the number of messages received so far.
	Received int64 `json:"received"`
	// E2E is the end-to-end latency of the interval (e2e mode).
	E2E *Latency `json:"e2e_latency,omitempty"`
}

func mbps(messages int64, size int, seconds float64) float64 {
	if seconds <= 0 {
		return 0
	}
	return float64(messages) * float64(size) / seconds / 1e6
}

func perSecond(n int64, seconds float64) float64 {
	if seconds <= 0 {
		return 0
	}
	return float64(n) / seconds
}
