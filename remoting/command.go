package remoting

import "fmt"

// SerializeType says how a frame's header is encoded. It is carried in the
// most significant byte of the header-length word.
type SerializeType byte

const (
	// SerializeJSON is the JSON header form, used by default by all official clients.
	SerializeJSON SerializeType = 0
	// SerializeRocketMQ is the compact binary header form.
	SerializeRocketMQ SerializeType = 1
)

// LanguageCode identifies the SDK language of the sender of a command.
type LanguageCode byte

// Language codes as upstream defines them.
const (
	LangJava   LanguageCode = 0
	LangCPP    LanguageCode = 1
	LangDotNet LanguageCode = 2
	LangPython LanguageCode = 3
	LangDelphi LanguageCode = 4
	LangErlang LanguageCode = 5
	LangRuby   LanguageCode = 6
	LangOther  LanguageCode = 7
	LangHTTP   LanguageCode = 8
	LangGo     LanguageCode = 9
	LangPHP    LanguageCode = 10
	LangOMS    LanguageCode = 11
	LangRust   LanguageCode = 12
	LangNodeJS LanguageCode = 13
)

// Flag bits of a command.
const (
	// FlagResponse marks a response (bit 0).
	FlagResponse int32 = 1 << 0
	// FlagOneway marks a request that expects no response (bit 1).
	FlagOneway int32 = 1 << 1
)

// Command is one remoting frame: a header and an opaque body.
//
// Code is a request code in a request and a response code in a response. It is
// an int32 because the 5.x POP codes exceed 16 bits; such codes can only travel
// in JSON headers.
type Command struct {
	Code     int32
	Language LanguageCode
	// Serialize is the header serialization the command arrived in, or is to
	// be sent in. Responses mirror the serialization of their request. (It
	// sits here, in Language's padding, to keep Command in a smaller size
	// class: one is allocated per frame.)
	Serialize SerializeType
	Version   int32
	Opaque    int32
	Flag      int32
	Remark    string
	ExtFields map[string]string
	// Fields are custom header fields kept as a list, in header order:
	// cheaper than ExtFields on hot paths, since neither decoding nor
	// encoding them hashes. Requests of routes registered with
	// Server.RegisterFields carry their fields here (ExtFields is nil
	// then); any command may set them to be sent, after the entries of
	// ExtFields. A key should appear at most once in both together.
	Fields []ExtField
	Body   []byte

	// Written, when set on a response, is called once the connection no
	// longer uses Body (its frame was written, or the response was
	// refused), so the body's buffer can go back to a pool. It may not be
	// called at all, e.g. when the connection closed with the frame still
	// queued; the garbage collector then reclaims the buffer. Decoded
	// commands never carry it; requests ignore it.
	Written func()

	// fieldsBox is the pooled list Fields was decoded into, nil when it is
	// not pooled (see extPool.release).
	fieldsBox *[]ExtField
}

// ExtField is one custom header field.
type ExtField struct {
	Key, Value string
}

// IsResponse reports whether the command is a response.
func (c *Command) IsResponse() bool { return c.Flag&FlagResponse != 0 }

// IsOneway reports whether the command is a request that expects no answer.
func (c *Command) IsOneway() bool { return c.Flag&FlagOneway != 0 }

// NewRequest returns a request with the given code, custom header fields and
// body, in the JSON serialization and with Saturn's language and version. The
// opaque is assigned when the request is sent. ext may be nil; it is used
// as is, not copied.
func NewRequest(code int32, ext map[string]string, body []byte) *Command {
	return &Command{
		Code:      code,
		Language:  LangGo,
		Version:   CurrentVersion,
		ExtFields: ext,
		Body:      body,
		Serialize: SerializeJSON,
	}
}

// NewResponse returns the response to req with the given code and remark. It
// copies the request's opaque, sets the response flag and mirrors the
// request's header serialization, so every client can read it.
//
// Language is LangJava: every upstream server answers with JAVA, and clients
// have only ever seen that value in responses, so Saturn does not give them a
// reason to behave differently. (The Go client maps any name but "GO" to its
// "unknown" language and ignores it.) Requests Saturn sends carry LangGo.
//
// ExtFields is a non-nil empty map, so the header always carries extFields:
// Java clients expect it in every response that has a custom header.
func NewResponse(req *Command, code int32, remark string) *Command {
	resp := NewFieldsResponse(req, code, remark, nil)
	resp.ExtFields = make(map[string]string)
	return resp
}

// NewFieldsResponse is NewResponse with the custom header in fields instead
// of a map, for hot paths: fields is used as is (append to it). The header
// carries extFields whenever fields is non-nil, even when it is empty.
func NewFieldsResponse(req *Command, code int32, remark string, fields []ExtField) *Command {
	return &Command{
		Code:      code,
		Language:  LangJava,
		Version:   CurrentVersion,
		Opaque:    req.Opaque,
		Flag:      FlagResponse,
		Remark:    remark,
		Fields:    fields,
		Serialize: req.Serialize,
	}
}

// String describes the command's header for logs; the body is summarised by
// its length.
func (c *Command) String() string {
	kind := "request"
	switch {
	case c.IsResponse():
		kind = "response"
	case c.IsOneway():
		kind = "oneway request"
	}
	return fmt.Sprintf("%s code=%d opaque=%d flag=%d lang=%s version=%d remark=%q ext=%v fields=%v body=%dB serialize=%s",
		kind, c.Code, c.Opaque, c.Flag, c.Language, c.Version, c.Remark, c.ExtFields, c.Fields, len(c.Body), c.Serialize)
}
