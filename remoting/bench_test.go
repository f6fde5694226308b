package remoting

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
)

// benchSend is a typical SEND_MESSAGE_V2 request of the Java client: 13
// short-named ext fields, properties with control characters, a 1 KiB body.
func benchSend(st SerializeType) *Command {
	props := "KEYS\x01order-42\x02TAGS\x01tagA\x02UNIQ_KEY\x01AC11000100002A9F0000000000000001\x02WAIT\x01true\x02"
	c := NewRequest(RequestSendMessageV2, typicalSendExt(props), bytes.Repeat([]byte("m"), 1024))
	c.Language = LangJava
	c.Version = 479
	c.Opaque = 123456
	c.Serialize = st
	return c
}

func BenchmarkEncode(b *testing.B) {
	for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		b.Run(st.String(), func(b *testing.B) {
			c := benchSend(st)
			buf, _ := Encode(nil, c)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = Encode(buf[:0], c)
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		b.Run(st.String(), func(b *testing.B) {
			frame, _ := Encode(nil, benchSend(st))
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(frame[4:]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeHeaderEncodingJSON is the reference for BenchmarkDecode/JSON:
// the same header decoded by reflection with encoding/json.
func BenchmarkDecodeHeaderEncodingJSON(b *testing.B) {
	frame, _ := Encode(nil, benchSend(SerializeJSON))
	header := frame[8 : 8+headerLen(frame)]
	type jsonHeader struct {
		Code      int32             `json:"code"`
		ExtFields map[string]string `json:"extFields"`
		Flag      int32             `json:"flag"`
		Language  string            `json:"language"`
		Opaque    int32             `json:"opaque"`
		Remark    string            `json:"remark"`
		Version   int32             `json:"version"`
	}
	b.ReportAllocs()
	for b.Loop() {
		var h jsonHeader
		if err := json.Unmarshal(header, &h); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInvokeSync measures one request/response round trip over
// loopback, client and server in this process: the latency of a lone
// request, hand-offs between goroutines included. In the _inline cases the
// server's reader serves the request itself (Server.ServeInline).
func BenchmarkInvokeSync(b *testing.B) {
	for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		for _, inline := range []bool{false, true} {
			name := st.String()
			if inline {
				name += "_inline"
			}
			b.Run(name, func(b *testing.B) { benchmarkInvokeSync(b, st, inline) })
		}
	}
}

func benchmarkInvokeSync(b *testing.B, st SerializeType, inline bool) {
	s := NewServer(ServerConfig{Addr: "127.0.0.1:0", Logger: newLogger(&logBuffer{})})
	s.Register(RequestSendMessageV2, "send", HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
		resp := NewResponse(req, ResponseSuccess, "")
		resp.ExtFields["msgId"] = "AC11000100002A9F0000000000000001"
		resp.ExtFields["queueId"] = "3"
		resp.ExtFields["queueOffset"] = "42"
		return resp
	}))
	if inline {
		s.ServeInline(RequestSendMessageV2)
	}
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	c := NewClient(ClientConfig{Serialize: st, Logger: newLogger(&logBuffer{})})
	defer c.Close()
	req := benchSend(st)
	addr := s.Addr().String()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.InvokeSync(ctx, addr, req); err != nil {
			b.Fatal(err)
		}
	}
}
