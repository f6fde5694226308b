package client

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/saturnmq/saturn/remoting"
)

// Sentinel errors. Errors returned by this package wrap one of them (or an
// error of the remoting package), so callers test with errors.Is; the
// structured errors below carry the details.
var (
	// ErrNoRoute: the name servers know no route for a topic, or the route
	// has no queue usable for the operation (no writable queue for a send,
	// no readable queue for a consumer, no master address for a broker).
	ErrNoRoute = errors.New("client: no route")
	// ErrClosed: the Client, producer or consumer is closed or shut down.
	ErrClosed = errors.New("client: closed")
	// ErrInvalidMessage: a message was refused before sending (empty or
	// invalid topic, empty or oversized body, bad properties).
	ErrInvalidMessage = errors.New("client: invalid message")
	// ErrInvalidConfig: a configuration or argument is invalid.
	ErrInvalidConfig = errors.New("client: invalid configuration")
	// ErrTimeout is remoting.ErrTimeout: a call got no response before its
	// deadline. Such errors also wrap context.DeadlineExceeded.
	ErrTimeout = remoting.ErrTimeout
)

// BrokerError is a response with a code that means failure, from a broker or
// a name server: it says who refused which request, with which code and
// remark. A BrokerError with code ResponseTopicNotExist from a name server
// also matches ErrNoRoute.
type BrokerError struct {
	Addr    string // address of the server that answered
	Request int32  // request code that was refused
	Code    int32  // response code
	Remark  string // the server's explanation, possibly empty
}

// Error describes the refusal in one line.
func (e *BrokerError) Error() string {
	var b strings.Builder
	b.WriteString("client: ")
	b.WriteString(e.Addr)
	b.WriteString(" refused ")
	b.WriteString(requestName(e.Request))
	b.WriteString(" with ")
	b.WriteString(responseName(e.Code))
	if e.Remark != "" {
		b.WriteString(": ")
		b.WriteString(e.Remark)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNoRoute) true for "topic not exist" answers to
// route requests.
func (e *BrokerError) Is(target error) bool {
	return target == ErrNoRoute && e.Request == remoting.RequestGetRouteInfoByTopic &&
		e.Code == remoting.ResponseTopicNotExist
}

// CodeOf returns the response code of the first BrokerError in err's chain,
// and whether there is one.
func CodeOf(err error) (int32, bool) {
	var be *BrokerError
	if errors.As(err, &be) {
		return be.Code, true
	}
	return 0, false
}

// RouteError says that no route could be found for a topic, and why.
// It matches ErrNoRoute.
type RouteError struct {
	Topic string
	Err   error // the cause: a BrokerError, a transport error, or nil
}

// Error describes the missing route.
func (e *RouteError) Error() string {
	if e.Err == nil {
		return "client: no route for topic " + strconv.Quote(e.Topic)
	}
	return "client: no route for topic " + strconv.Quote(e.Topic) + ": " + e.Err.Error()
}

// Unwrap returns ErrNoRoute and the cause.
func (e *RouteError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrNoRoute}
	}
	return []error{ErrNoRoute, e.Err}
}

// SendError reports a send that failed on every attempt. Attempts holds one
// error per attempt, in order; errors.Is and errors.As look through all of
// them.
type SendError struct {
	Topic    string
	Attempts []error
}

// Error names the topic, the number of attempts and what each one hit.
func (e *SendError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "client: send to topic %q failed", e.Topic)
	if len(e.Attempts) == 1 {
		b.WriteString(": ")
		b.WriteString(trimPrefix(e.Attempts[0].Error()))
		return b.String()
	}
	fmt.Fprintf(&b, " after %d attempts", len(e.Attempts))
	for i, err := range e.Attempts {
		fmt.Fprintf(&b, "; #%d: %s", i+1, trimPrefix(err.Error()))
	}
	return b.String()
}

// Unwrap returns the errors of all attempts.
func (e *SendError) Unwrap() []error { return e.Attempts }

func trimPrefix(s string) string { return strings.TrimPrefix(s, "client: ") }

// AttemptError is one failed attempt of a send: which broker it went to.
type AttemptError struct {
	Broker string // broker name
	Addr   string // broker address, "" when none was found
	Err    error
}

// Error names the broker and the failure.
func (e *AttemptError) Error() string {
	if e.Addr == "" {
		return "broker " + e.Broker + ": " + trimPrefix(e.Err.Error())
	}
	return "broker " + e.Broker + " (" + e.Addr + "): " + trimPrefix(e.Err.Error())
}

// Unwrap returns the cause.
func (e *AttemptError) Unwrap() error { return e.Err }

// responseName describes a response code for error messages:
// "code 17 TOPIC_NOT_EXIST", or "code 17" for a code without a name.
func responseName(code int32) string {
	if n := remoting.ResponseName(code); n != "" {
		return "code " + strconv.Itoa(int(code)) + " " + n
	}
	return "code " + strconv.Itoa(int(code))
}

// requestName describes a request code for error messages:
// "SEND_MESSAGE (10)", or "request 10" for a code without a name.
func requestName(code int32) string {
	if n := remoting.RequestName(code); n != "" {
		return n + " (" + strconv.Itoa(int(code)) + ")"
	}
	return "request " + strconv.Itoa(int(code))
}
