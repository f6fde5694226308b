package clients

import (
	"reflect"
	"strconv"
	"testing"

	"github.com/saturnmq/saturn/message"
)

// Bodies from the protocol fact sheet: a Java push consumer (§3.3) and a Go
// client (§9.3), byte for byte.
const (
	javaHeartbeat = `{"clientID":"10.0.0.5@12345#8731023","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"g1","messageModel":"CLUSTERING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[65],"expressionType":"TAG","subString":"A","subVersion":1700000000000,"tagsSet":["A"],"topic":"T"},{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":1700000000001,"tagsSet":[],"topic":"%RETRY%g1"}],"unitMode":false}],"heartbeatFingerprint":0,"producerDataSet":[{"groupName":"CLIENT_INNER_PRODUCER"}],"withoutSub":false}`
	goHeartbeat   = `{"clientID":"10.0.0.7@4242","producerDataSet":[{"groupName":"pg"}],"consumerDataSet":[{"groupName":"cg","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","subscriptionDataSet":[{"classFilterMode":false,"topic":"T","subString":"A||B","tagsSet":["A","B"],"codeSet":["65","66"],"subVersion":1700000000000000000,"expressionType":"TAG"}],"unitMode":false}]}`
)

func TestParseHeartbeatJava(t *testing.T) {
	hb, err := ParseHeartbeat([]byte(javaHeartbeat))
	if err != nil {
		t.Fatal(err)
	}
	want := &HeartbeatData{
		ClientID:        "10.0.0.5@12345#8731023",
		ProducerDataSet: []ProducerData{{GroupName: "CLIENT_INNER_PRODUCER"}},
		ConsumerDataSet: []ConsumerData{{
			GroupName:        "g1",
			ConsumeType:      ConsumePassively,
			MessageModel:     Clustering,
			ConsumeFromWhere: "CONSUME_FROM_LAST_OFFSET",
			SubscriptionDataSet: []SubscriptionData{
				{Topic: "T", SubString: "A", TagsSet: []string{"A"}, CodeSet: []int32{65}, SubVersion: 1700000000000, ExpressionType: "TAG"},
				{Topic: "%RETRY%g1", SubString: "*", SubVersion: 1700000000001, ExpressionType: "TAG"},
			},
		}},
	}
	if !reflect.DeepEqual(hb, want) {
		t.Errorf("got  %+v\nwant %+v", hb, want)
	}
}

func TestParseHeartbeatGo(t *testing.T) {
	hb, err := ParseHeartbeat([]byte(goHeartbeat))
	if err != nil {
		t.Fatal(err)
	}
	want := &HeartbeatData{
		ClientID:        "10.0.0.7@4242",
		ProducerDataSet: []ProducerData{{GroupName: "pg"}},
		ConsumerDataSet: []ConsumerData{{
			GroupName:        "cg",
			ConsumeType:      ConsumePassively,
			MessageModel:     Clustering,
			ConsumeFromWhere: "CONSUME_FROM_LAST_OFFSET",
			SubscriptionDataSet: []SubscriptionData{
				{Topic: "T", SubString: "A||B", TagsSet: []string{"A", "B"}, CodeSet: []int32{65, 66},
					SubVersion: 1700000000000000000, ExpressionType: "TAG"},
			},
		}},
	}
	if !reflect.DeepEqual(hb, want) {
		t.Errorf("got  %+v\nwant %+v", hb, want)
	}
}

// goUTF8Hash is what rocketmq-client-go v2.1.2 sends as a tag code: the
// 31-hash over UTF-8 bytes.
func goUTF8Hash(s string) int32 {
	var h int32
	for i := 0; i < len(s); i++ {
		h = 31*h + int32(s[i])
	}
	return h
}

func TestParseHeartbeatRecomputesNonASCIICodes(t *testing.T) {
	tags := []struct {
		tag  string
		java int32 // java.lang.String.hashCode
	}{
		{"é", 233},
		{"标签", 26631*31 + 31614},
		{"😀", 0xD83D*31 + 0xDE00}, // a surrogate pair in UTF-16
		{"tagA", message.JavaHashCode("tagA")},
	}
	body := `{"clientID":"c@1","consumerDataSet":[{"groupName":"cg","subscriptionDataSet":[{"topic":"T","subString":"é || 标签||😀|| tagA","tagsSet":["é","标签","😀","tagA"],"codeSet":[`
	for i, tt := range tags {
		if i > 0 {
			body += ","
		}
		body += `"` + itoa(goUTF8Hash(tt.tag)) + `"`
	}
	body += `],"subVersion":1,"expressionType":"TAG"}]}]}`

	hb, err := ParseHeartbeat([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	s := hb.ConsumerDataSet[0].SubscriptionDataSet[0]
	for i, tt := range tags {
		if s.TagsSet[i] != tt.tag || s.CodeSet[i] != tt.java {
			t.Errorf("tag %d: %q code %d, want %q %d (client sent %d)", i, s.TagsSet[i], s.CodeSet[i], tt.tag, tt.java, goUTF8Hash(tt.tag))
		}
		if tt.tag != "tagA" && goUTF8Hash(tt.tag) == tt.java {
			t.Errorf("test data: %q hashes alike in UTF-8 and UTF-16", tt.tag)
		}
	}
	if !s.MatchTagsCode(int64(tags[1].java)) || s.MatchTagsCode(int64(goUTF8Hash("标签"))) {
		t.Error("filter does not use the recomputed codes")
	}
}

func itoa(v int32) string { return strconv.FormatInt(int64(v), 10) }

func TestParseHeartbeatTolerance(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantErr bool
		check   func(*testing.T, *HeartbeatData)
	}{
		{name: "not JSON", body: `{"clientID":`, wantErr: true},
		{name: "no clientID", body: `{"producerDataSet":[]}`, wantErr: true},
		{name: "null sets and unknown members", body: `{"clientID":"c","producerDataSet":null,"consumerDataSet":null,"heartbeatFingerprint":123,"extra":{"x":[1]}}`,
			check: func(t *testing.T, hb *HeartbeatData) {
				if hb.ProducerDataSet != nil || hb.ConsumerDataSet != nil {
					t.Errorf("got %+v", hb)
				}
			}},
		{name: "strings for numbers and booleans", body: `{"clientID":"c","consumerDataSet":[{"groupName":"g","unitMode":"true","subscriptionDataSet":[{"topic":"T","subString":"*","subVersion":"42","classFilterMode":"false","codeSet":[{"odd":1}]}]}]}`,
			check: func(t *testing.T, hb *HeartbeatData) {
				cd := hb.ConsumerDataSet[0]
				s := cd.SubscriptionDataSet[0]
				if !cd.UnitMode || s.SubVersion != 42 || s.ClassFilterMode || s.ExpressionType != ExpressionTag || !s.MatchAll() {
					t.Errorf("got %+v %+v", cd, s)
				}
			}},
		{name: "subString missing, tags given", body: `{"clientID":"c","consumerDataSet":[{"groupName":"g","subscriptionDataSet":[{"topic":"T","tagsSet":["x","y"]}]}]}`,
			check: func(t *testing.T, hb *HeartbeatData) {
				s := hb.ConsumerDataSet[0].SubscriptionDataSet[0]
				if s.SubString != "x||y" || !reflect.DeepEqual(s.CodeSet, []int32{'x', 'y'}) {
					t.Errorf("got %+v", s)
				}
			}},
		{name: "SQL92 kept as text", body: `{"clientID":"c","consumerDataSet":[{"groupName":"g","subscriptionDataSet":[{"topic":"T","subString":"a > 1 || b = 2","expressionType":"SQL92","tagsSet":[],"codeSet":[]}]}]}`,
			check: func(t *testing.T, hb *HeartbeatData) {
				s := hb.ConsumerDataSet[0].SubscriptionDataSet[0]
				if s.SubString != "a > 1 || b = 2" || s.TagsSet != nil || s.CodeSet != nil || !s.MatchTagsCode(12345) {
					t.Errorf("got %+v", s)
				}
			}},
		{name: "unknown expression type does not fail the heartbeat", body: `{"clientID":"c","consumerDataSet":[{"groupName":"g","subscriptionDataSet":[{"topic":"T","subString":"x","expressionType":"XPATH"}]}]}`,
			check: func(t *testing.T, hb *HeartbeatData) {
				if s := hb.ConsumerDataSet[0].SubscriptionDataSet[0]; s.ExpressionType != "XPATH" {
					t.Errorf("got %+v", s)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hb, err := ParseHeartbeat([]byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if tt.check != nil {
				tt.check(t, hb)
			}
		})
	}
}

func TestParseSubscription(t *testing.T) {
	tests := []struct {
		sub, typ string
		wantSub  string
		wantTags []string
		wantErr  bool
	}{
		{"*", "", "*", nil, false},
		{"", "TAG", "*", nil, false},
		{"  ", "", "*", nil, false},
		{"A", "TAG", "A", []string{"A"}, false},
		{" A || B ||| |C|| A", "", " A || B ||| |C|| A", []string{"A", "B", "| |C"}, false},
		{"A||B", "", "A||B", []string{"A", "B"}, false},
		{"||", "", "", nil, true},
		{"a > 3", "SQL92", "a > 3", nil, false},
		{"", "SQL92", "", nil, true},
		{"x", "XPATH", "", nil, true},
	}
	for _, tt := range tests {
		s, err := ParseSubscription("T", tt.sub, tt.typ)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseSubscription(%q, %q) accepted: %+v", tt.sub, tt.typ, s)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseSubscription(%q, %q): %v", tt.sub, tt.typ, err)
			continue
		}
		if s.SubString != tt.wantSub || !reflect.DeepEqual(s.TagsSet, tt.wantTags) || len(s.CodeSet) != len(s.TagsSet) {
			t.Errorf("ParseSubscription(%q, %q) = %+v", tt.sub, tt.typ, s)
		}
		for i, tag := range s.TagsSet {
			if s.CodeSet[i] != message.JavaHashCode(tag) {
				t.Errorf("code of %q = %d", tag, s.CodeSet[i])
			}
		}
	}
	if _, err := ParseSubscription("", "*", ""); err == nil {
		t.Error("empty topic accepted")
	}
}

func TestMatchTagsCode(t *testing.T) {
	a, b := int64(message.JavaHashCode("A")), int64(message.JavaHashCode("B"))
	neg := int64(message.JavaHashCode("标签标签标签")) // a negative int32 stored sign-extended
	if neg >= 0 {
		t.Fatalf("test data: hash %d not negative", neg)
	}
	tests := []struct {
		name string
		sub  SubscriptionData
		code int64
		want bool
	}{
		{"all matches tagged", SubscriptionData{SubString: "*", ExpressionType: "TAG"}, a, true},
		{"all matches untagged", SubscriptionData{SubString: "*", ExpressionType: "TAG"}, 0, true},
		{"tag in set", mustSub(t, "A||B"), b, true},
		{"tag not in set", mustSub(t, "A"), b, false},
		{"untagged message", mustSub(t, "A"), 0, false},
		{"negative code", mustSub(t, "标签标签标签"), neg, true},
		{"code compared as int32", mustSub(t, "A"), a + 1<<32, true},
		{"class filter", SubscriptionData{ClassFilterMode: true, SubString: "A", CodeSet: []int32{1}}, b, true},
		{"SQL92 passes to property filter", SubscriptionData{SubString: "x > 1", ExpressionType: "SQL92"}, a, true},
	}
	for _, tt := range tests {
		if got := tt.sub.MatchTagsCode(tt.code); got != tt.want {
			t.Errorf("%s: MatchTagsCode(%d) = %v", tt.name, tt.code, got)
		}
	}
}

func mustSub(t *testing.T, expr string) SubscriptionData {
	t.Helper()
	s, err := ParseSubscription("T", expr, "TAG")
	if err != nil {
		t.Fatal(err)
	}
	return *s
}
