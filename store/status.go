package store

import (
	"errors"
	"strconv"
)

// PutStatus is the outcome of an append, with upstream's meanings.
type PutStatus int

// Put statuses.
const (
	// PutOK: stored (and synced, in SyncFlush).
	PutOK PutStatus = iota
	// FlushDiskTimeout: stored, but the sync did not finish within
	// SyncFlushTimeout (or the context ended first).
	FlushDiskTimeout
	// MessageIllegal: refused: too large, empty topic, malformed.
	MessageIllegal
	// PropertiesSizeExceeded: refused: properties over 32767 bytes.
	PropertiesSizeExceeded
	// ServiceNotAvailable: refused: store closed, read-only after an I/O
	// error, or disk full.
	ServiceNotAvailable
	// OSPageCacheBusy: refused: the append lock has been held too long
	// (back-pressure).
	OSPageCacheBusy
	// UnknownError: refused for another reason.
	UnknownError
)

var putStatusNames = [...]string{"PUT_OK", "FLUSH_DISK_TIMEOUT", "MESSAGE_ILLEGAL", "PROPERTIES_SIZE_EXCEEDED",
	"SERVICE_NOT_AVAILABLE", "OS_PAGE_CACHE_BUSY", "UNKNOWN_ERROR"}

// String returns the upstream name, e.g. "PUT_OK".
func (s PutStatus) String() string {
	if s >= 0 && int(s) < len(putStatusNames) {
		return putStatusNames[s]
	}
	return "PutStatus(" + strconv.Itoa(int(s)) + ")"
}

// Errors returned with a PutStatus other than PutOK; test with errors.Is.
var (
	ErrFlushDiskTimeout       = errors.New("store: flush disk timeout")
	ErrMessageIllegal         = errors.New("store: message illegal")
	ErrPropertiesSizeExceeded = errors.New("store: properties size exceeded")
	ErrServiceNotAvailable    = errors.New("store: service not available")
	ErrOSPageCacheBusy        = errors.New("store: OS page cache busy")
	ErrClosed                 = errors.New("store: closed")
)

// GetStatus is the outcome of a Get, with upstream's meanings.
type GetStatus int

// Get statuses.
const (
	// Found: at least one message matched.
	Found GetStatus = iota
	// NoMatchedMessage: entries were read but none matched the filter.
	NoMatchedMessage
	// MessageWasRemoving: the entries point into deleted commit log.
	MessageWasRemoving
	// OffsetFoundNull: the consume-queue file for the offset is missing.
	OffsetFoundNull
	// OffsetOverflowBadly: offset > max offset.
	OffsetOverflowBadly
	// OffsetOverflowOne: offset == max offset (nothing new yet).
	OffsetOverflowOne
	// OffsetTooSmall: offset < min offset.
	OffsetTooSmall
	// NoMatchedLogicQueue: no consume queue for the topic and queue.
	NoMatchedLogicQueue
	// NoMessageInQueue: the queue exists but is empty.
	NoMessageInQueue
)

var getStatusNames = [...]string{"FOUND", "NO_MATCHED_MESSAGE", "MESSAGE_WAS_REMOVING", "OFFSET_FOUND_NULL",
	"OFFSET_OVERFLOW_BADLY", "OFFSET_OVERFLOW_ONE", "OFFSET_TOO_SMALL", "NO_MATCHED_LOGIC_QUEUE", "NO_MESSAGE_IN_QUEUE"}

// String returns the upstream name, e.g. "FOUND".
func (s GetStatus) String() string {
	if s >= 0 && int(s) < len(getStatusNames) {
		return getStatusNames[s]
	}
	return "GetStatus(" + strconv.Itoa(int(s)) + ")"
}

// Errors of lookups.
var (
	// ErrNotFound: no such queue, offset or message.
	ErrNotFound = errors.New("store: not found")
	// ErrOffset: a physical offset is outside the log or not at a record.
	ErrOffset = errors.New("store: bad physical offset")
	// ErrCorrupt: stored data failed a check.
	ErrCorrupt = errors.New("store: corrupt data")
)
