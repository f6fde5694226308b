package namesrv

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/saturnmq/saturn/remoting"
)

// extReader reads a request's custom header (extFields), remembering the
// first problem so that a handler can read all fields and check once.
type extReader struct {
	ext map[string]string
	err error
}

func readExt(req *remoting.Command) *extReader {
	return &extReader{ext: req.ExtFields}
}

// str returns a required field. Upstream rejects a request whose not-null
// header field is absent with this remark.
func (r *extReader) str(key string) string {
	v, ok := r.ext[key]
	if !ok && r.err == nil {
		r.err = fmt.Errorf("the custom field <%s> is null", key)
	}
	return v
}

// opt returns an optional field, "" if absent.
func (r *extReader) opt(key string) string {
	return r.ext[key]
}

// int64 returns a required integer field.
func (r *extReader) int64(key string) int64 {
	s := r.str(key)
	if r.err != nil {
		return 0
	}
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		r.err = fmt.Errorf("the custom field <%s> is not an integer: %q", key, s)
	}
	return v
}

// optInt64 returns an optional integer field, 0 if absent or empty.
func (r *extReader) optInt64(key string) int64 {
	s := strings.TrimSpace(r.ext[key])
	if s == "" {
		return 0
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("the custom field <%s> is not an integer: %q", key, s)
	}
	return v
}

// optBool reads an optional boolean the way Java's Boolean.parseBoolean does
// (only a case-insensitive "true" is true); nil means absent.
func (r *extReader) optBool(key string) *bool {
	s, ok := r.ext[key]
	if !ok {
		return nil
	}
	b := strings.EqualFold(strings.TrimSpace(s), "true")
	return &b
}

// failed returns the SYSTEM_ERROR response for a bad header, or nil.
func (r *extReader) failed(req *remoting.Command) *remoting.Command {
	if r.err == nil {
		return nil
	}
	return remoting.NewResponse(req, remoting.ResponseSystemError, r.err.Error())
}

// versionStandardJSON is the first client version (4.9.4) that is sent
// standard JSON route data.
const versionStandardJSON = 401

// responseForm picks the JSON shape for bodies with numeric map keys: quoted
// for clients from 4.9.4 on or when asked for, fastjson's bare keys
// otherwise (rocketmq-client-go sends version 317 and parses either).
func responseForm(req *remoting.Command) jsonForm {
	if req.Version >= versionStandardJSON || strings.EqualFold(req.ExtFields["acceptStandardJsonOnly"], "true") {
		return standardJSON
	}
	return legacyJSON
}

func success(req *remoting.Command) *remoting.Command {
	return remoting.NewResponse(req, remoting.ResponseSuccess, "")
}
