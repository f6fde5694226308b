package loadgen

import (
	"errors"
	"fmt"
	"time"
)

// Mode is what a run does.
type Mode string

// Modes of a run.
const (
	// ModeProduce only sends.
	ModeProduce Mode = "produce"
	// ModeConsume only receives what the topic already holds (from the
	// oldest message, in a new consumer group).
	ModeConsume Mode = "consume"
	// ModeE2E sends and receives at once and measures end-to-end latency
	// from the intended send time to receipt.
	ModeE2E Mode = "e2e"
)

// Defaults of Config.
const (
	DefaultDuration     = 10 * time.Second
	DefaultMaxDuration  = 10 * time.Minute
	DefaultDrainTimeout = 30 * time.Second
	DefaultIdleTimeout  = 5 * time.Second
	DefaultMessageSize  = 1024
	DefaultProducers    = 4
	DefaultInFlight     = 256
	DefaultConsumers    = 1
	DefaultQueues       = 8
)

// ErrInvalidConfig is wrapped by every configuration error.
var ErrInvalidConfig = errors.New("loadgen: invalid configuration")

// Config describes one run. Zero values mean the documented defaults.
type Config struct {
	Mode  Mode
	Topic string
	// Group is the consumer group of receivers. Default: a new group per
	// run, so that consume mode reads the topic from its oldest message.
	Group string
	// Queues is the queue count the topic is created with. Default 8.
	Queues int
	// MessageSize is the body size in bytes, at least HeaderSize. Default
	// 1024.
	MessageSize int
	// Producers is the number of senders. Default 4.
	Producers int
	// InFlight is how many sends each sender keeps unacknowledged at most.
	// Default 256.
	InFlight int
	// Batch is the number of messages per send; above 1 every send is one
	// batch request. Default 1.
	Batch int
	// Consumers is the number of receivers. Default 1.
	Consumers int
	// Messages bounds the run by a message count (sent in produce and e2e
	// modes, received in consume mode). 0: no count.
	Messages int64
	// Duration bounds the sending (produce, e2e) or receiving (consume)
	// phase. Default DefaultDuration when Messages is 0, otherwise no
	// duration, but MaxDuration still applies.
	Duration time.Duration
	// MaxDuration is the hard cap of a phase whatever else is set. Default
	// DefaultMaxDuration.
	MaxDuration time.Duration
	// Rate is the target rate in messages per second over all senders. 0:
	// as fast as the in-flight windows allow. With a rate, latencies are
	// measured from the intended send times.
	Rate float64
	// Warmup is a period at the start of sending whose sends are not
	// measured (they are still sent and counted as warm-up).
	Warmup time.Duration
	// DrainTimeout bounds the wait for outstanding acknowledgements and,
	// in e2e mode, for the receivers to catch up after sending stopped.
	// Default DefaultDrainTimeout.
	DrainTimeout time.Duration
	// IdleTimeout ends consume mode when nothing arrived for this long
	// after the first message (or after start). Default DefaultIdleTimeout.
	IdleTimeout time.Duration
	// ReportInterval is the period of progress reports. Default 1 s;
	// negative disables them.
	ReportInterval time.Duration
}

func (c *Config) setDefaults() error {
	switch c.Mode {
	case ModeProduce, ModeConsume, ModeE2E:
	case "":
		c.Mode = ModeProduce
	default:
		return fmt.Errorf("%w: mode %q: want produce, consume or e2e", ErrInvalidConfig, c.Mode)
	}
	if c.Topic == "" {
		return fmt.Errorf("%w: no topic", ErrInvalidConfig)
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Queues, DefaultQueues)
	def(&c.MessageSize, DefaultMessageSize)
	def(&c.Producers, DefaultProducers)
	def(&c.InFlight, DefaultInFlight)
	def(&c.Batch, 1)
	def(&c.Consumers, DefaultConsumers)
	if c.MaxDuration == 0 {
		c.MaxDuration = DefaultMaxDuration
	}
	if c.Messages == 0 && c.Duration == 0 {
		c.Duration = DefaultDuration
	}
	if c.Duration == 0 || c.Duration > c.MaxDuration {
		c.Duration = c.MaxDuration
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.ReportInterval == 0 {
		c.ReportInterval = time.Second
	}
	switch {
	case c.MessageSize < HeaderSize:
		return fmt.Errorf("%w: message size %d: want at least %d bytes", ErrInvalidConfig, c.MessageSize, HeaderSize)
	case c.Queues < 1, c.Producers < 1, c.InFlight < 1, c.Batch < 1, c.Consumers < 1:
		return fmt.Errorf("%w: queues, producers, in-flight, batch and consumers must be positive", ErrInvalidConfig)
	case c.Messages < 0, c.Duration < 0, c.MaxDuration < 0, c.Rate < 0, c.Warmup < 0, c.DrainTimeout < 0, c.IdleTimeout < 0:
		return fmt.Errorf("%w: negative count, duration or rate", ErrInvalidConfig)
	case c.Warmup >= c.Duration:
		return fmt.Errorf("%w: warm-up %v is not shorter than the duration %v", ErrInvalidConfig, c.Warmup, c.Duration)
	}
	return nil
}
