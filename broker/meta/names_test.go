package meta

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateTopicName(t *testing.T) {
	tests := []struct {
		name string
		want error
	}{
		{"TopicTest", nil},
		{"a", nil},
		{"%RETRY%group-1_x", nil},
		{"%DLQ%g", nil},
		{"ns%topic|v2", nil},
		{"0123456789", nil},
		{strings.Repeat("t", 127), nil},
		{strings.Repeat("t", 128), ErrNameTooLong},
		{"", ErrNameBlank},
		{"   ", ErrNameBlank},
		{"\t", ErrNameBlank},
		{"has space", ErrNameIllegal},
		{"dot.ted", ErrNameIllegal},
		{"slash/ed", ErrNameIllegal},
		{"topic@group", ErrNameIllegal},
		{"quote\"", ErrNameIllegal},
		{"ünïcode", ErrNameIllegal},
		{"tab\tinside", ErrNameIllegal},
		{strings.Repeat("é", 40), ErrNameIllegal},
	}
	for _, tt := range tests {
		err := ValidateTopicName(tt.name)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("ValidateTopicName(%q) = %v, want %v", tt.name, err, tt.want)
		}
		if err != nil && !strings.Contains(err.Error(), "topic") {
			t.Errorf("ValidateTopicName(%q) message %q does not say what was checked", tt.name, err)
		}
	}
}

func TestValidateGroupName(t *testing.T) {
	tests := []struct {
		name string
		want error
	}{
		{"cg", nil},
		{"CID_ONS-HTTP-PROXY", nil},
		{strings.Repeat("g", 255), nil},
		{strings.Repeat("g", 256), ErrNameTooLong},
		{"", ErrNameBlank},
		{"g g", ErrNameIllegal},
	}
	for _, tt := range tests {
		err := ValidateGroupName(tt.name)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("ValidateGroupName(%q) = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestTopicClassification(t *testing.T) {
	tests := []struct {
		topic              string
		system, notAllowed bool
		retry, dlq         bool
	}{
		{"TopicTest", false, false, false, false},
		{"TBW102", true, false, false, false},
		{"SCHEDULE_TOPIC_XXXX", true, true, false, false},
		{"RMQ_SYS_TRANS_HALF_TOPIC", true, true, false, false},
		{"RMQ_SYS_TRANS_OP_HALF_TOPIC", true, true, false, false},
		{"TRANS_CHECK_MAX_TIME_TOPIC", true, true, false, false},
		{"SELF_TEST_TOPIC", true, true, false, false},
		{"OFFSET_MOVED_EVENT", true, true, false, false},
		{"BenchmarkTest", true, false, false, false},
		{"RMQ_SYS_TRACE_TOPIC", true, false, false, false},
		{"rmq_sys_REVIVE_LOG_c", true, false, false, false},
		{"%RETRY%g", false, false, true, false},
		{"%DLQ%g", false, false, false, true},
	}
	for _, tt := range tests {
		if got := IsSystemTopic(tt.topic); got != tt.system {
			t.Errorf("IsSystemTopic(%q) = %v", tt.topic, got)
		}
		if got := NotAllowedToSend(tt.topic); got != tt.notAllowed {
			t.Errorf("NotAllowedToSend(%q) = %v", tt.topic, got)
		}
		if got := IsRetryTopic(tt.topic); got != tt.retry {
			t.Errorf("IsRetryTopic(%q) = %v", tt.topic, got)
		}
		if got := IsDLQTopic(tt.topic); got != tt.dlq {
			t.Errorf("IsDLQTopic(%q) = %v", tt.topic, got)
		}
	}
}

func TestNameBuilders(t *testing.T) {
	if got := RetryTopic("g1"); got != "%RETRY%g1" {
		t.Errorf("RetryTopic = %q", got)
	}
	if got := DLQTopic("g1"); got != "%DLQ%g1" {
		t.Errorf("DLQTopic = %q", got)
	}
	if got := ReplyTopic("DefaultCluster"); got != "DefaultCluster_REPLY_TOPIC" {
		t.Errorf("ReplyTopic = %q", got)
	}
	if g, ok := GroupOfRetryTopic("%RETRY%g1"); !ok || g != "g1" {
		t.Errorf("GroupOfRetryTopic = %q %v", g, ok)
	}
	if _, ok := GroupOfRetryTopic("%RETRY%"); ok {
		t.Error("GroupOfRetryTopic accepted an empty group")
	}
	if g, ok := GroupOfDLQTopic("%DLQ%g1"); !ok || g != "g1" {
		t.Errorf("GroupOfDLQTopic = %q %v", g, ok)
	}
	for _, g := range []string{"TOOLS_CONSUMER", "CID_RMQ_SYS_TRANS", "CID_RMQ_SYS_REVIVE_GROUP"} {
		if !IsSystemGroup(g) {
			t.Errorf("IsSystemGroup(%q) = false", g)
		}
	}
	if IsSystemGroup("cg") {
		t.Error("IsSystemGroup(cg) = true")
	}
}

func TestPerm(t *testing.T) {
	tests := []struct {
		perm                 int32
		r, w, inherit, valid bool
		str                  string
	}{
		{0, false, false, false, true, "---"},
		{PermReadWrite, true, true, false, true, "RW-"},
		{7, true, true, true, true, "RWX"},
		{PermRead, true, false, false, true, "R--"},
		{PermWrite, false, true, false, true, "-W-"},
		{PermInherit, false, false, true, true, "--X"},
		{8, false, false, false, false, "---"},
		{-1, true, true, true, false, "RWX"},
	}
	for _, tt := range tests {
		if Readable(tt.perm) != tt.r || Writable(tt.perm) != tt.w || Inherited(tt.perm) != tt.inherit ||
			ValidPerm(tt.perm) != tt.valid || PermString(tt.perm) != tt.str {
			t.Errorf("perm %d: R=%v W=%v X=%v valid=%v %q", tt.perm, Readable(tt.perm), Writable(tt.perm),
				Inherited(tt.perm), ValidPerm(tt.perm), PermString(tt.perm))
		}
	}
}
