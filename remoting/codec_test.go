package remoting

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"
)

// unhex decodes hex written with spaces, line breaks and # comments for
// readability.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	var clean []string
	for _, line := range strings.Split(s, "\n") {
		line, _, _ = strings.Cut(line, "#")
		clean = append(clean, strings.Fields(line)...)
	}
	b, err := hex.DecodeString(strings.Join(clean, ""))
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return b
}

// cat concatenates expected byte parts.
func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestEncodeLayouts(t *testing.T) {
	tests := []struct {
		name string
		cmd  *Command
		want []byte
	}{
		{
			name: "JSON request (§1.2, §1.4)",
			cmd: &Command{Code: 310, Language: LangGo, Version: 407, Opaque: 57,
				ExtFields: map[string]string{"a": "pg"}, Body: []byte("hi")},
			want: cat(
				unhex(t, "0000007d # totalLength = 4 + 119 + 2"),
				unhex(t, "00000077 # JSON (0) << 24 | headerLength 119"),
				[]byte(`{"code":310,"extFields":{"a":"pg"},"flag":0,"language":"GO","opaque":57,"serializeTypeCurrentRPC":"JSON","version":407}`),
				[]byte("hi"),
			),
		},
		{
			name: "JSON response with escaped control character, no extFields, no body",
			cmd: &Command{Code: 0, Language: LangJava, Version: 407, Opaque: -2, Flag: FlagResponse,
				Remark: "a\x01b"},
			want: cat(
				unhex(t, "00000078 00000074"),
				[]byte(`{"code":0,"flag":1,"language":"JAVA","opaque":-2,"remark":"a\u0001b","serializeTypeCurrentRPC":"JSON","version":407}`),
			),
		},
		{
			name: "ROCKETMQ request (§1.5)",
			cmd: &Command{Code: 10, Language: LangGo, Version: 407, Opaque: 57, Remark: "ok",
				ExtFields: map[string]string{"k": "v"}, Body: []byte("hi"), Serialize: SerializeRocketMQ},
			want: unhex(t, `
				00000025         # totalLength 37 = 4 + 31 + 2
				0100001f         # ROCKETMQ (1) << 24 | headerLength 31 = 21 + 2 + 8
				000a             # code 10
				09               # language GO
				0197             # version 407
				00000039         # opaque 57
				00000000         # flag
				00000002 6f6b    # remark "ok"
				00000008         # extFields length 8
				0001 6b 00000001 76  # "k" = "v"
				6869             # body "hi"`),
		},
		{
			name: "ROCKETMQ response, empty remark and empty ext value are absent",
			cmd: &Command{Code: 17, Language: LangJava, Version: 407, Opaque: 1, Flag: FlagResponse,
				ExtFields: map[string]string{"gone": ""}, Serialize: SerializeRocketMQ},
			want: unhex(t, `
				00000019 01000015
				0011 00 0197 00000001 00000001
				00000000
				00000000`),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Encode([]byte("prefix"), tt.cmd)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(got, []byte("prefix")) {
				t.Fatalf("Encode did not append to dst")
			}
			got = got[len("prefix"):]
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("Encode =\n%x\nwant\n%x\n(%q)", got, tt.want, got)
			}
			// And back.
			dec, err := Decode(got[4:])
			if err != nil {
				t.Fatal(err)
			}
			want := *tt.cmd
			if want.Serialize == SerializeRocketMQ {
				want.ExtFields = nonEmpty(want.ExtFields)
			}
			assertSameCommand(t, dec, &want)
		})
	}
}

// nonEmpty drops entries a binary header cannot carry; nil when none remain.
func nonEmpty(m map[string]string) map[string]string {
	var out map[string]string
	for k, v := range m {
		if k != "" && v != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}

func assertSameCommand(t *testing.T, got, want *Command) {
	t.Helper()
	if got.Code != want.Code || got.Language != want.Language || got.Version != want.Version ||
		got.Opaque != want.Opaque || got.Flag != want.Flag || got.Remark != want.Remark ||
		got.Serialize != want.Serialize || !bytes.Equal(got.Body, want.Body) ||
		!maps.Equal(got.ExtFields, want.ExtFields) || (got.ExtFields == nil) != (want.ExtFields == nil) {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
}

// hand-written binary frame with two ext entries in both orders.
func TestDecodeBinaryHandWritten(t *testing.T) {
	frame := unhex(t, `
		01000029
		ffff 00 0000 7fffffff 00000003
		00000000
		00000014
		0001 61 00000001 31
		0002 6262 00000004 7a7a7a7a
		ff`)
	c, err := Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	assertSameCommand(t, c, &Command{Code: -1, Language: LangJava, Version: 0, Opaque: 0x7fffffff,
		Flag: FlagResponse | FlagOneway, ExtFields: map[string]string{"a": "1", "bb": "zzzz"},
		Body: []byte{0xff}, Serialize: SerializeRocketMQ})
}

func TestDecodeJSONExamples(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   Command
	}{
		{
			name:   "Java request (§1.4)",
			header: `{"code":310,"extFields":{"a":"pg","b":"TopicA","c":"TBW102","d":"4","e":"0","f":"0","g":"1700000000000","h":"0","i":"KEYS\u0001k1\u0002WAIT\u0001true\u0002","j":"0","k":"false","m":"false","n":"broker-a"},"flag":0,"language":"JAVA","opaque":57,"serializeTypeCurrentRPC":"JSON","version":479}`,
			want: Command{Code: 310, Language: LangJava, Opaque: 57, Version: 479, ExtFields: map[string]string{
				"a": "pg", "b": "TopicA", "c": "TBW102", "d": "4", "e": "0", "f": "0", "g": "1700000000000", "h": "0",
				"i": "KEYS\x01k1\x02WAIT\x01true\x02", "j": "0", "k": "false", "m": "false", "n": "broker-a"}},
		},
		{
			name:   "Java response (§1.4)",
			header: `{"code":0,"extFields":{"msgId":"0A0000010000</br>2A9F","queueId":"1","queueOffset":"42"},"flag":1,"language":"JAVA","opaque":57,"serializeTypeCurrentRPC":"JSON","version":479}`,
			want: Command{Code: 0, Language: LangJava, Flag: 1, Opaque: 57, Version: 479,
				ExtFields: map[string]string{"msgId": "0A0000010000</br>2A9F", "queueId": "1", "queueOffset": "42"}},
		},
		{
			name:   "Go client request (§1.4)",
			header: `{"code":105,"language":"GO","version":317,"opaque":1,"flag":0,"remark":"","extFields":{"topic":"TopicTest"}}`,
			want:   Command{Code: 105, Language: LangGo, Version: 317, Opaque: 1, ExtFields: map[string]string{"topic": "TopicTest"}},
		},
		{
			name:   "Go client answer with empty extFields",
			header: `{"code":0,"language":"GO","version":317,"opaque":9,"flag":1,"remark":"","extFields":{}}`,
			want:   Command{Language: LangGo, Version: 317, Opaque: 9, Flag: 1, ExtFields: map[string]string{}},
		},
		{
			name:   "whitespace, nulls, language as number, unknown nested members",
			header: " \r\n{ \"x\" : [1, -2.5e+3, {\"y\": [true, false, null, \"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"]}, [] , {}],\t\"code\" : 34 , \"language\" : 9, \"remark\": null, \"extFields\": null, \"flag\": null, \"opaque\": 7, \"version\": 0 } \n",
			want:   Command{Code: 34, Language: LangGo, Opaque: 7},
		},
		{
			name:   "escaped keys, surrogate pairs, invalid surrogates, raw UTF-8",
			header: `{"c\u006fde":1,"remark":"\ud83d\ude00 \ud800x \udc00 \u00e9 é 😀","extFields":{"k\u0001":"v\u0002","n":12,"t":true,"f":false,"z":null,"e":"","d":"1","d":null}}`,
			want: Command{Code: 1, Remark: "😀 \uFFFDx \uFFFD é é 😀",
				ExtFields: map[string]string{"k\x01": "v\x02", "n": "12", "t": "true", "f": "false", "e": ""}},
		},
		{
			name:   "duplicate members: last wins; quoted integers; unknown language name",
			header: `{"code":1,"code":"2","language":"KLINGON","opaque":-2147483648,"flag":3}`,
			want:   Command{Code: 2, Language: LangOther, Opaque: -2147483648, Flag: 3},
		},
		{
			name:   "POP code beyond 16 bits",
			header: `{"code":200050,"language":"JAVA","version":479,"opaque":3,"flag":0,"extFields":{}}`,
			want:   Command{Code: RequestPopMessage, Language: LangJava, Version: 479, Opaque: 3, ExtFields: map[string]string{}},
		},
		{
			name:   "invalid UTF-8 becomes U+FFFD",
			header: "{\"remark\":\"a\xffb\"}",
			want:   Command{Remark: "a\uFFFDb"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frame := jsonFrame(tt.header, "body")
			c, err := Decode(frame)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.Body = []byte("body")
			assertSameCommand(t, c, &want)
		})
	}
}

// jsonFrame builds a frame (without the totalLength prefix) around a JSON header.
func jsonFrame(header, body string) []byte {
	f := []byte{0, byte(len(header) >> 16), byte(len(header) >> 8), byte(len(header))}
	f = append(f, header...)
	return append(f, body...)
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name  string
		frame []byte
		kind  error
	}{
		{"empty frame", nil, ErrBadLength},
		{"three bytes", []byte{0, 0, 0}, ErrBadLength},
		{"header length beyond frame", unhex(t, "00000010 7b7d"), ErrBadLength},
		{"unknown serialize type", unhex(t, "02000002 7b7d"), ErrUnknownSerializeType},
		{"JSON empty header", unhex(t, "00000000"), ErrBadHeader},
		{"ROCKETMQ short header", unhex(t, "01000002 0001"), ErrBadLength},
		{"ROCKETMQ negative remark length", unhex(t, "01000015 0001 00 0000 00000000 00000000 ffffffff 00000000"), ErrBadLength},
		{"ROCKETMQ remark too long", unhex(t, "01000015 0001 00 0000 00000000 00000000 00000001 00000000"), ErrBadLength},
		{"ROCKETMQ ext length too long", unhex(t, "01000015 0001 00 0000 00000000 00000000 00000000 00000001"), ErrBadLength},
		{"ROCKETMQ negative ext length", unhex(t, "01000015 0001 00 0000 00000000 00000000 00000000 80000000"), ErrBadLength},
		{"ROCKETMQ trailing header bytes", unhex(t, "01000016 0001 00 0000 00000000 00000000 00000000 00000000 00"), ErrBadLength},
		{"ROCKETMQ negative key length", unhex(t, "0100001b 0001 00 0000 00000000 00000000 00000000 00000002 ffff"), ErrBadLength},
		{"ROCKETMQ key beyond entries", unhex(t, "0100001c 0001 00 0000 00000000 00000000 00000000 00000003 0005 61"), ErrBadLength},
		{"ROCKETMQ negative value length", unhex(t, "01000020 0001 00 0000 00000000 00000000 00000000 00000007 0001 61 ffffffff"), ErrBadLength},
		{"ROCKETMQ value beyond entries", unhex(t, "01000020 0001 00 0000 00000000 00000000 00000000 00000007 0001 61 00000001"), ErrBadLength},
	}
	for _, h := range []string{
		`[]`, `{`, `{"code":}`, `{"code":1,}`, `{"code":1.5}`, `{"code":1e3}`, `{"code":2147483648}`, `{"code":"x"}`,
		`{"code":01}`, `{"code":-}`, `{"flag":true}`, `{"language":256}`, `{"language":{}}`, `{"remark":1}`,
		`{"remark":"a` + "\n" + `"}`, `{"remark":"\x"}`, `{"remark":"\u12"}`, `{"remark":"abc`, `{"extFields":[]}`,
		`{"extFields":{"a":{}}}`, `{"extFields":{"a":"b",}}`, `{"extFields":{1:"b"}}`, `{"x":tru}`, `{"x":[1,]}`,
		`{"x":{"a" 1}}`, `{"x":"\u00zz"}`, `{} {}`, `{"x":1}x`, `{"code":1 "flag":2}`, `{"x":.5}`, `{"x":1.}`, `{"x":1e}`,
		`{"x":` + strings.Repeat("[", maxJSONDepth+2) + strings.Repeat("]", maxJSONDepth+2) + `}`,
	} {
		tests = append(tests, struct {
			name  string
			frame []byte
			kind  error
		}{"JSON " + h[:min(len(h), 40)], jsonFrame(h, ""), ErrBadHeader})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Decode(tt.frame)
			if err == nil {
				t.Fatalf("Decode succeeded: %v", c)
			}
			if !errors.Is(err, tt.kind) {
				t.Fatalf("error %v is not %v", err, tt.kind)
			}
			var fe *FrameError
			if !errors.As(err, &fe) || fe.Detail == "" {
				t.Fatalf("error %v is not a *FrameError with a detail", err)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name string
		cmd  *Command
		kind error
	}{
		{"POP code in binary", &Command{Code: RequestPopMessage, Serialize: SerializeRocketMQ}, ErrNotEncodable},
		{"version in binary", &Command{Version: 40000, Serialize: SerializeRocketMQ}, ErrNotEncodable},
		{"long key in binary", &Command{ExtFields: map[string]string{strings.Repeat("k", 1<<15): "v"}, Serialize: SerializeRocketMQ}, ErrNotEncodable},
		{"serialize type 7", &Command{Serialize: 7}, ErrUnknownSerializeType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []byte("keep")
			out, err := Encode(dst, tt.cmd)
			if !errors.Is(err, tt.kind) {
				t.Fatalf("error %v, want %v", err, tt.kind)
			}
			if string(out) != "keep" {
				t.Fatalf("dst changed to %q", out)
			}
		})
	}
}

// roundTripCommands covers the shapes that matter: property strings with
// control characters, unicode, negative numbers, big ext maps, empty bodies.
func roundTripCommands() []*Command {
	props := "KEYS\x01order-1 order-2\x02TAGS\x01tagA\x02UNIQ_KEY\x01AC11000100002A9F0000000000000001\x02WAIT\x01true\x02"
	big := map[string]string{}
	for i := range 50 {
		big[strings.Repeat("k", i+1)] = strings.Repeat("v", 3*i+1)
	}
	return []*Command{
		{Code: RequestSendMessageV2, Language: LangJava, Version: 479, Opaque: 1, ExtFields: typicalSendExt(props), Body: bytes.Repeat([]byte{0, 1, 2, 0xff}, 256)},
		{Code: ResponseSuccess, Language: LangJava, Version: CurrentVersion, Opaque: -7, Flag: FlagResponse, ExtFields: map[string]string{}},
		{Code: ResponseSystemError, Language: LangGo, Version: -1, Opaque: 1 << 30, Flag: FlagResponse, Remark: "boom \"quoted\" \\ back\tslash\n中文 😀 \x7f"},
		{Code: RequestHeartBeat, Language: LanguageCode(200), Flag: FlagOneway, ExtFields: big},
		{Code: -32768, Language: LangNodeJS, Version: 32767, Remark: "x", ExtFields: map[string]string{"\x00\x1f": "\u2028\u2029"}},
	}
}

func typicalSendExt(props string) map[string]string {
	return map[string]string{
		"a": "please_rename_unique_group_name", "b": "TopicTest", "c": "TBW102", "d": "4", "e": "3",
		"f": "0", "g": "1700000000000", "h": "0", "i": props, "j": "0", "k": "false", "m": "false", "n": "broker-a",
	}
}

func TestRoundTrip(t *testing.T) {
	for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		for i, c := range roundTripCommands() {
			c.Serialize = st
			frame, err := Encode(nil, c)
			if err != nil {
				t.Fatalf("%s #%d: %v", st, i, err)
			}
			got, err := Decode(frame[4:])
			if err != nil {
				t.Fatalf("%s #%d: %v", st, i, err)
			}
			want := *c
			if st == SerializeRocketMQ {
				want.ExtFields = nonEmpty(c.ExtFields)
			}
			if st == SerializeJSON && !want.Language.hasName() {
				want.Language = c.Language // numbers survive JSON too
			}
			assertSameCommand(t, got, &want)
		}
	}
}

// TestJSONMatchesEncodingJSON checks the hand-written encoder against the
// standard library: the output is valid JSON with the same values.
func TestJSONMatchesEncodingJSON(t *testing.T) {
	for i, c := range roundTripCommands() {
		frame, err := Encode(nil, c)
		if err != nil {
			t.Fatal(err)
		}
		header := frame[8 : 8+headerLen(frame)]
		var v struct {
			Code      int32             `json:"code"`
			ExtFields map[string]string `json:"extFields"`
			Flag      int32             `json:"flag"`
			Language  json.RawMessage   `json:"language"`
			Opaque    int32             `json:"opaque"`
			Remark    string            `json:"remark"`
			Serialize string            `json:"serializeTypeCurrentRPC"`
			Version   int32             `json:"version"`
		}
		if err := json.Unmarshal(header, &v); err != nil {
			t.Fatalf("#%d: encoding/json rejects %s: %v", i, header, err)
		}
		if v.Code != c.Code || v.Flag != c.Flag || v.Opaque != c.Opaque || v.Version != c.Version ||
			v.Remark != c.Remark || !maps.Equal(v.ExtFields, c.ExtFields) || v.Serialize != "JSON" {
			t.Fatalf("#%d: encoding/json reads %+v from %s", i, v, header)
		}
		wantLang := `"` + c.Language.String() + `"`
		if !c.Language.hasName() {
			wantLang = c.Language.String()
		}
		if string(v.Language) != wantLang {
			t.Fatalf("#%d: language %s, want %s", i, v.Language, wantLang)
		}
	}
}

// headerLen returns the header length of a whole encoded frame.
func headerLen(frame []byte) int {
	return int(frame[5])<<16 | int(frame[6])<<8 | int(frame[7])
}

func TestNewResponse(t *testing.T) {
	req := NewRequest(RequestSendMessage, map[string]string{"x": "y"}, []byte("b"))
	req.Opaque = 42
	req.Serialize = SerializeRocketMQ
	resp := NewResponse(req, ResponseTopicNotExist, "no topic")
	if resp.Opaque != 42 || !resp.IsResponse() || resp.IsOneway() || resp.Serialize != SerializeRocketMQ ||
		resp.Language != LangJava || resp.Version != CurrentVersion || resp.ExtFields == nil ||
		resp.Code != ResponseTopicNotExist || resp.Remark != "no topic" {
		t.Fatalf("NewResponse = %v", resp)
	}
	if req.Language != LangGo || req.Version != CurrentVersion || req.IsResponse() || req.Serialize != SerializeRocketMQ {
		t.Fatalf("NewRequest = %v", req)
	}
}
