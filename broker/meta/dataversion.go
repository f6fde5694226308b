package meta

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/saturnmq/saturn/fastjson"
)

// DataVersion identifies a state of a table. The name server compares the
// version a broker registers with the last one it saw to decide whether the
// broker's topic routes must be refreshed.
type DataVersion struct {
	// StateVersion is 5.x's version of the broker's role state; Saturn keeps it 0.
	StateVersion int64
	// Timestamp is the time of the last change in Unix milliseconds.
	Timestamp int64
	// Counter counts changes since the table was created.
	Counter int64
}

// NewDataVersion returns the version of a table that has never changed.
func NewDataVersion() DataVersion {
	return DataVersion{Timestamp: time.Now().UnixMilli()}
}

// Next returns the version after one more change.
func (d DataVersion) Next() DataVersion {
	d.Counter++
	d.Timestamp = time.Now().UnixMilli()
	return d
}

// AppendJSON appends d as {"counter":..,"stateVersion":..,"timestamp":..}
// (members sorted as fastjson writes them).
func (d DataVersion) AppendJSON(b []byte) []byte {
	b = append(b, `{"counter":`...)
	b = strconv.AppendInt(b, d.Counter, 10)
	b = append(b, `,"stateVersion":`...)
	b = strconv.AppendInt(b, d.StateVersion, 10)
	b = append(b, `,"timestamp":`...)
	b = strconv.AppendInt(b, d.Timestamp, 10)
	return append(b, '}')
}

// MarshalJSON implements json.Marshaler.
func (d DataVersion) MarshalJSON() ([]byte, error) { return d.AppendJSON(nil), nil }

// UnmarshalJSON implements json.Unmarshaler; absent members stay zero.
func (d *DataVersion) UnmarshalJSON(b []byte) error {
	var w struct {
		StateVersion fastjson.LenientInt64 `json:"stateVersion"`
		Timestamp    fastjson.LenientInt64 `json:"timestamp"`
		Counter      fastjson.LenientInt64 `json:"counter"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*d = DataVersion{StateVersion: int64(w.StateVersion), Timestamp: int64(w.Timestamp), Counter: int64(w.Counter)}
	return nil
}
