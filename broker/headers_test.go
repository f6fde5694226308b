package broker

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/saturnmq/saturn/remoting"
)

// TestExtReaderAlternatives checks that a field is found under its long or
// short name, the long name winning when both are there, whatever mix of key
// lengths the header has.
func TestExtReaderAlternatives(t *testing.T) {
	tests := []struct {
		name string
		ext  map[string]string
		want string
		has  bool
	}{
		{"long only", map[string]string{"topic": "L", "queueId": "1"}, "L", true},
		{"short only", map[string]string{"b": "S", "e": "1"}, "S", true},
		{"both, long wins", map[string]string{"b": "S", "topic": "L"}, "L", true},
		{"short among long keys", map[string]string{"b": "S", "queueId": "1"}, "S", true},
		{"long among short keys", map[string]string{"topic": "L", "e": "1"}, "L", true},
		{"absent", map[string]string{"e": "1", "queueId": "1"}, "", false},
		{"empty key only", map[string]string{"": "x"}, "", false},
		{"nil", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := extReader{ext: tt.ext}
			if got := r.str("topic", "b"); got != tt.want {
				t.Errorf("str = %q, want %q", got, tt.want)
			}
			if got := r.has("topic", "b"); got != tt.has {
				t.Errorf("has = %v, want %v", got, tt.has)
			}
		})
	}
}

func BenchmarkParseSendHeader(b *testing.B) {
	for _, tt := range []struct {
		name string
		ext  map[string]string
	}{
		{"V1", sendExt("Bench", 3, map[string]string{"TAGS": "t", "UNIQ_KEY": "0A0000010000000000000000000000FF"})},
		{"V2", sendV2Ext("Bench", 3, map[string]string{"TAGS": "t", "UNIQ_KEY": "0A0000010000000000000000000000FF"}, false)},
	} {
		req := &remoting.Command{}
		for k, v := range tt.ext {
			req.Fields = append(req.Fields, remoting.ExtField{Key: k, Value: v})
		}
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := parseSendHeader(req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// refParseSendHeader is the map-lookup reading of the send header that
// parseSendHeader's one pass must agree with.
func refParseSendHeader(ext map[string]string) (sendHeader, error) {
	r := extReader{ext: ext}
	h := sendHeader{
		producerGroup:         r.str("producerGroup", "a"),
		topic:                 r.str("topic", "b"),
		defaultTopic:          r.str("defaultTopic", "c"),
		defaultTopicQueueNums: r.int32(false, "defaultTopicQueueNums", "d"),
		queueID:               r.int32(true, "queueId", "e"),
		sysFlag:               r.int32(false, "sysFlag", "f"),
		bornTimestamp:         r.int64(false, "bornTimestamp", "g"),
		flag:                  r.int32(false, "flag", "h"),
		properties:            r.str("properties", "i"),
		reconsumeTimes:        r.int32(false, "reconsumeTimes", "j"),
		unitMode:              r.bool("unitMode", "k"),
		maxReconsumeTimes:     r.int32(false, "maxReconsumeTimes", "l"),
		hasMaxReconsumeTimes:  r.has("maxReconsumeTimes", "l"),
		batch:                 r.bool("batch", "m"),
	}
	if h.defaultTopic == "" {
		h.defaultTopic = "TBW102"
	}
	return h, r.err
}

// TestParseSendHeaderAgreesWithLookups checks the one-pass parse, from a
// field list in both orders and from a map, against per-field lookups.
func TestParseSendHeaderAgreesWithLookups(t *testing.T) {
	tests := []struct {
		name string
		ext  map[string]string
	}{
		{"V1", sendExt("T", 3, map[string]string{"TAGS": "t"})},
		{"V2", sendV2Ext("T", 3, map[string]string{"TAGS": "t"}, false)},
		{"V2 batch", sendV2Ext("T", 1, nil, true)},
		{"long wins over short", map[string]string{"topic": "L", "b": "S", "queueId": "1", "e": "2", "l": "5"}},
		{"empty long hides short", map[string]string{"queueId": "", "e": "2", "topic": "T"}},
		{"missing queue", map[string]string{"topic": "T", "sysFlag": "x"}},
		{"first bad field reported", map[string]string{"e": "1", "j": "x", "f": "y", "d": "99999999999"}},
		{"spaces and case", map[string]string{"e": " 4 ", "k": "TRUE", "batch": "True", "g": "-5"}},
		{"unknown keys", map[string]string{"e": "1", "n": "broker-a", "z": "1", "zz": "2", "": "x"}},
		{"empty", map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, wantErr := refParseSendHeader(tt.ext)
			keys := slices.Sorted(maps.Keys(tt.ext))
			reversed := slices.Clone(keys)
			slices.Reverse(reversed)
			for _, order := range [][]string{keys, reversed} {
				req := &remoting.Command{Fields: []remoting.ExtField{}}
				for _, k := range order {
					req.Fields = append(req.Fields, remoting.ExtField{Key: k, Value: tt.ext[k]})
				}
				for _, r := range []*remoting.Command{req, {ExtFields: tt.ext}} {
					got, err := parseSendHeader(r)
					if got != want || fmt.Sprint(err) != fmt.Sprint(wantErr) {
						t.Fatalf("from %v %v: got %+v, %v; want %+v, %v", r.Fields, r.ExtFields, got, err, want, wantErr)
					}
				}
			}
		})
	}
}

// refParsePullHeader is the map-lookup reading of the pull header that
// parsePullHeader's one pass must agree with.
func refParsePullHeader(ext map[string]string) (pullHeader, error) {
	r := extReader{ext: ext}
	h := pullHeader{
		group:          r.required("consumerGroup"),
		topic:          r.required("topic"),
		queueID:        r.int32(true, "queueId"),
		queueOffset:    r.int64(true, "queueOffset"),
		maxMsgNums:     r.int32(true, "maxMsgNums"),
		sysFlag:        r.int32(true, "sysFlag"),
		commitOffset:   r.int64(false, "commitOffset"),
		suspendTimeout: r.int64(false, "suspendTimeoutMillis"),
		subscription:   r.str("subscription"),
		subVersion:     r.int64(false, "subVersion"),
		expressionType: r.str("expressionType"),
		maxMsgBytes:    r.int32(false, "maxMsgBytes"),
	}
	return h, r.err
}

// TestParsePullHeaderAgreesWithLookups checks the one-pass pull header
// parse, from a field list and from a map, against per-field lookups.
func TestParsePullHeaderAgreesWithLookups(t *testing.T) {
	full := map[string]string{
		"consumerGroup": "g", "topic": "T", "queueId": "2", "queueOffset": "100", "maxMsgNums": "32",
		"sysFlag": "6", "commitOffset": "90", "suspendTimeoutMillis": "15000", "subscription": "*",
		"subVersion": "1700000000000", "expressionType": "TAG", "maxMsgBytes": "1024",
	}
	without := func(k string) map[string]string {
		m := maps.Clone(full)
		delete(m, k)
		return m
	}
	with := func(k, v string) map[string]string {
		m := maps.Clone(full)
		m[k] = v
		return m
	}
	tests := []struct {
		name string
		ext  map[string]string
	}{
		{"full", full},
		{"no group", without("consumerGroup")},
		{"no queue offset", without("queueOffset")},
		{"optional fields absent", without("commitOffset")},
		{"bad offset and bad queue", with("queueOffset", "x")},
		{"unknown key", with("zz", "1")},
		{"empty", map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, wantErr := refParsePullHeader(tt.ext)
			req := &remoting.Command{Fields: []remoting.ExtField{}}
			for _, k := range slices.Sorted(maps.Keys(tt.ext)) {
				req.Fields = append(req.Fields, remoting.ExtField{Key: k, Value: tt.ext[k]})
			}
			for _, r := range []*remoting.Command{req, {ExtFields: tt.ext}} {
				got, err := parsePullHeader(r)
				if got != want || fmt.Sprint(err) != fmt.Sprint(wantErr) {
					t.Fatalf("from %v %v: got %+v, %v; want %+v, %v", r.Fields, r.ExtFields, got, err, want, wantErr)
				}
			}
		})
	}
}
