package store

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/saturnmq/saturn/store/vfs"
)

// FlushMode says when an append is acknowledged.
type FlushMode int

const (
	// AsyncFlush acknowledges an append once it is in the page cache; a
	// background flusher syncs every FlushInterval. Upstream ASYNC_FLUSH.
	AsyncFlush FlushMode = iota
	// SyncFlush acknowledges an append only after its bytes are synced.
	// Upstream SYNC_FLUSH.
	SyncFlush
)

func (m FlushMode) String() string {
	switch m {
	case AsyncFlush:
		return "ASYNC_FLUSH"
	case SyncFlush:
		return "SYNC_FLUSH"
	}
	return "FlushMode(" + strconv.Itoa(int(m)) + ")"
}

// WarmMode is the setting of Config.WarmSegments.
type WarmMode int

const (
	// WarmDefault is the default: off (see Config.WarmSegments).
	WarmDefault WarmMode = iota
	// WarmOn warms new segments.
	WarmOn
	// WarmOff does not.
	WarmOff
)

// Config configures a Store. The zero value of every field but Dir selects
// the default written in its comment.
type Config struct {
	// Dir is the store's root directory. Required.
	Dir string
	// FS holds the files. Default vfs.OS{}.
	FS vfs.FS
	// SegmentSize is the size of a commit-log segment. Default 1 GiB. It
	// must hold the largest record plus the 8-byte end marker.
	SegmentSize int64
	// MaxMessageSize is the largest accepted body, and the largest record
	// less 64 KiB of headers and properties. Default 4 MiB.
	MaxMessageSize int
	// FlushMode: AsyncFlush (default) or SyncFlush.
	FlushMode FlushMode
	// FlushInterval is the period of the AsyncFlush flusher. Default 500ms.
	FlushInterval time.Duration
	// SyncFlushTimeout bounds how long a SyncFlush append waits for its
	// sync before it returns FlushDiskTimeout. Default 5s.
	SyncFlushTimeout time.Duration
	// ConsumeQueueEntriesPerFile is the number of 20-byte entries per
	// consume-queue file. Default 300000.
	ConsumeQueueEntriesPerFile int
	// ConsumeQueueFlushInterval is the period at which consume queues and
	// index are synced and the checkpoint is written. Default 1s.
	ConsumeQueueFlushInterval time.Duration
	// DisableIndex turns the key index off. Default false (index on).
	DisableIndex bool
	// IndexSlots is the number of hash slots per index file. Default
	// 5000000.
	IndexSlots int
	// IndexEntries is the number of entries per index file. Default
	// 20000000 (4 per slot).
	IndexEntries int
	// FileReservedTime is how long commit-log segments are kept after
	// their last message. Default 72h.
	FileReservedTime time.Duration
	// DeleteWhen lists the hours (local time, two digits, separated by
	// ';') at which expired segments are deleted. Default "04".
	DeleteWhen string
	// DiskMaxUsedRatio is the disk use (percent) above which expired
	// segments are deleted at once, whatever the hour. Default 75.
	DiskMaxUsedRatio int
	// DiskCleanForciblyRatio is the disk use (percent) above which the
	// oldest segments are deleted even if not expired. Default 85.
	DiskCleanForciblyRatio int
	// DiskFullRatio is the disk use (percent) above which appends are
	// refused with ServiceNotAvailable. Default 90.
	DiskFullRatio int
	// CleanInterval is the period of the retention check. Default 10s.
	CleanInterval time.Duration
	// WarmSegments says whether each new segment is prepared in full in
	// the background before appends reach it: with AsyncFlush its pages
	// are populated in the mapping, with SyncFlush its blocks are written
	// with zeros and synced (as upstream's warmMappedFile). Syncing blocks
	// written before is cheaper (no block allocation to journal), but
	// every segment is written twice, and the zero-fill of the next
	// segment starts as soon as the current one is taken; the first
	// segment is never warmed. Measured here with SyncFlush and 1 KiB
	// messages, turning it on made things worse, because the zeros of the
	// next segment compete with the appends for the disk:
	// BenchmarkSend/SYNC_FLUSH (256 MiB segments) 70-110 -> 355-390 us/op,
	// a broker with 1 GiB segments under 4 producers 25-29k -> 24-25k
	// msgs/s with a higher p99.
	// Default (WarmDefault): off in both modes.
	WarmSegments WarmMode
	// WarmAhead is how many bytes ahead of the write position a
	// background goroutine keeps prepared for appends, a MiB at a time:
	// written with zeros, so that appends find the pages in the page cache
	// (see Store.warmLoop), and with SyncFlush synced, so that a group
	// commit's sync has no unwritten blocks to convert and journal
	// (measured here: a write and sync of 64 KiB ~115 us instead of
	// ~280-340 us; every block is then written twice). With AsyncFlush
	// only appends that copy (see MappedAppends) keep it going. Default 16
	// MiB; negative disables it.
	WarmAhead int64
	// MappedAppends makes every AsyncFlush append copy its records into
	// the segment's mapping, as upstream does. By default only appends
	// under 16 KiB do; larger ones (batches) write their records with one
	// File.WriteAt under the append lock. Either way an acknowledged
	// append is in the page cache and survives a crash of the process.
	// The write is cheaper for many pages: bringing a page of a file into
	// the page cache through a mapping (a write fault or Populate) cost
	// 4-10 us per 4 KiB page here on ext4, a 1 MiB write(2) ~1 us per
	// page, copy included (batch sends of 64 x 1 KiB: ~3.8 against ~3.3
	// us of broker CPU per message); for one small record the system
	// call costs more than the copy.
	MappedAppends bool
	// OSPageCacheBusyTimeout: when the append lock has been held this
	// long, new appends are refused with OSPageCacheBusy instead of
	// queueing. Default 1s.
	OSPageCacheBusyTimeout time.Duration
	// Now is the clock for store timestamps and retention. Default
	// time.Now.
	Now func() time.Time
	// Logger receives the store's logs. Default slog.Default().
	Logger *slog.Logger
}

// Defaults of Config.
const (
	DefaultSegmentSize                = 1 << 30
	DefaultMaxMessageSize             = 4 << 20
	DefaultFlushInterval              = 500 * time.Millisecond
	DefaultSyncFlushTimeout           = 5 * time.Second
	DefaultConsumeQueueEntriesPerFile = 300000
	DefaultConsumeQueueFlushInterval  = time.Second
	DefaultIndexSlots                 = 5000000
	DefaultIndexEntries               = 20000000
	DefaultFileReservedTime           = 72 * time.Hour
	DefaultDeleteWhen                 = "04"
	DefaultDiskMaxUsedRatio           = 75
	DefaultDiskCleanForciblyRatio     = 85
	DefaultDiskFullRatio              = 90
	DefaultCleanInterval              = 10 * time.Second
	DefaultOSPageCacheBusyTimeout     = time.Second
	DefaultWarmAhead                  = 16 << 20
)

// recordHeadroom is what a record may hold beyond MaxMessageSize of body:
// headers, topic and properties (upstream's encoder buffer is the body limit
// plus 64 KiB).
const recordHeadroom = 64 << 10

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	setDef := func(p *time.Duration, d time.Duration) {
		if *p == 0 {
			*p = d
		}
	}
	if c.FS == nil {
		c.FS = vfs.OS{}
	}
	if c.SegmentSize == 0 {
		c.SegmentSize = DefaultSegmentSize
	}
	if c.MaxMessageSize == 0 {
		c.MaxMessageSize = DefaultMaxMessageSize
	}
	setDef(&c.FlushInterval, DefaultFlushInterval)
	setDef(&c.SyncFlushTimeout, DefaultSyncFlushTimeout)
	if c.ConsumeQueueEntriesPerFile == 0 {
		c.ConsumeQueueEntriesPerFile = DefaultConsumeQueueEntriesPerFile
	}
	setDef(&c.ConsumeQueueFlushInterval, DefaultConsumeQueueFlushInterval)
	if c.IndexSlots == 0 {
		c.IndexSlots = DefaultIndexSlots
	}
	if c.IndexEntries == 0 {
		c.IndexEntries = DefaultIndexEntries
	}
	setDef(&c.FileReservedTime, DefaultFileReservedTime)
	if c.DeleteWhen == "" {
		c.DeleteWhen = DefaultDeleteWhen
	}
	if c.DiskMaxUsedRatio == 0 {
		c.DiskMaxUsedRatio = DefaultDiskMaxUsedRatio
	}
	if c.DiskCleanForciblyRatio == 0 {
		c.DiskCleanForciblyRatio = DefaultDiskCleanForciblyRatio
	}
	if c.DiskFullRatio == 0 {
		c.DiskFullRatio = DefaultDiskFullRatio
	}
	setDef(&c.CleanInterval, DefaultCleanInterval)
	setDef(&c.OSPageCacheBusyTimeout, DefaultOSPageCacheBusyTimeout)
	if c.WarmSegments == WarmDefault {
		c.WarmSegments = WarmOff
	}
	if c.WarmAhead == 0 {
		c.WarmAhead = DefaultWarmAhead
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate checks a configuration after WithDefaults.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Dir == "" {
		bad("store: Config.Dir is empty")
	}
	if c.MaxMessageSize <= 0 {
		bad("store: MaxMessageSize %d must be positive", c.MaxMessageSize)
	}
	if need := int64(c.MaxMessageSize) + recordHeadroom + 8; c.SegmentSize < need {
		bad("store: SegmentSize %d cannot hold a record of MaxMessageSize %d plus %d bytes of headers and the end marker (need >= %d)",
			c.SegmentSize, c.MaxMessageSize, recordHeadroom, need)
	}
	if c.SegmentSize > 1<<40 {
		bad("store: SegmentSize %d too large", c.SegmentSize)
	}
	if c.FlushMode != AsyncFlush && c.FlushMode != SyncFlush {
		bad("store: unknown FlushMode %d", c.FlushMode)
	}
	if c.ConsumeQueueEntriesPerFile <= 0 {
		bad("store: ConsumeQueueEntriesPerFile %d must be positive", c.ConsumeQueueEntriesPerFile)
	}
	if c.IndexSlots <= 0 || c.IndexEntries <= 0 || c.IndexEntries > 1<<31-2 {
		bad("store: IndexSlots %d and IndexEntries %d must be positive (entries < 2^31-1)", c.IndexSlots, c.IndexEntries)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"FlushInterval", c.FlushInterval}, {"SyncFlushTimeout", c.SyncFlushTimeout},
		{"ConsumeQueueFlushInterval", c.ConsumeQueueFlushInterval}, {"FileReservedTime", c.FileReservedTime},
		{"CleanInterval", c.CleanInterval}, {"OSPageCacheBusyTimeout", c.OSPageCacheBusyTimeout}} {
		if d.v < 0 {
			bad("store: %s %v must not be negative", d.name, d.v)
		}
	}
	if _, err := parseHours(c.DeleteWhen); err != nil {
		errs = append(errs, err)
	}
	for _, r := range []struct {
		name string
		v    int
	}{{"DiskMaxUsedRatio", c.DiskMaxUsedRatio}, {"DiskCleanForciblyRatio", c.DiskCleanForciblyRatio}, {"DiskFullRatio", c.DiskFullRatio}} {
		if r.v < 1 || r.v > 100 {
			bad("store: %s %d must be a percentage in [1,100]", r.name, r.v)
		}
	}
	return errors.Join(errs...)
}

// parseHours parses DeleteWhen: hours 00-23 separated by ';'.
func parseHours(s string) ([24]bool, error) {
	var hours [24]bool
	for _, p := range strings.Split(s, ";") {
		p = strings.TrimSpace(p)
		h, err := strconv.Atoi(p)
		if err != nil || h < 0 || h > 23 {
			return hours, fmt.Errorf("store: DeleteWhen %q: %q is not an hour 00-23", s, p)
		}
		hours[h] = true
	}
	return hours, nil
}
