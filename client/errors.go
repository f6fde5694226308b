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

// responseNames names the response codes a client meets in practice.
var responseNames = map[int32]string{
	remoting.ResponseSuccess:                   "SUCCESS",
	remoting.ResponseSystemError:               "SYSTEM_ERROR",
	remoting.ResponseSystemBusy:                "SYSTEM_BUSY",
	remoting.ResponseRequestCodeNotSupported:   "REQUEST_CODE_NOT_SUPPORTED",
	remoting.ResponseTransactionFailed:         "TRANSACTION_FAILED",
	remoting.ResponseFlushDiskTimeout:          "FLUSH_DISK_TIMEOUT",
	remoting.ResponseSlaveNotAvailable:         "SLAVE_NOT_AVAILABLE",
	remoting.ResponseFlushSlaveTimeout:         "FLUSH_SLAVE_TIMEOUT",
	remoting.ResponseMessageIllegal:            "MESSAGE_ILLEGAL",
	remoting.ResponseServiceNotAvailable:       "SERVICE_NOT_AVAILABLE",
	remoting.ResponseVersionNotSupported:       "VERSION_NOT_SUPPORTED",
	remoting.ResponseNoPermission:              "NO_PERMISSION",
	remoting.ResponseTopicNotExist:             "TOPIC_NOT_EXIST",
	remoting.ResponseTopicExistAlready:         "TOPIC_EXIST_ALREADY",
	remoting.ResponsePullNotFound:              "PULL_NOT_FOUND",
	remoting.ResponsePullRetryImmediately:      "PULL_RETRY_IMMEDIATELY",
	remoting.ResponsePullOffsetMoved:           "PULL_OFFSET_MOVED",
	remoting.ResponseQueryNotFound:             "QUERY_NOT_FOUND",
	remoting.ResponseSubscriptionParseFailed:   "SUBSCRIPTION_PARSE_FAILED",
	remoting.ResponseSubscriptionNotExist:      "SUBSCRIPTION_NOT_EXIST",
	remoting.ResponseSubscriptionNotLatest:     "SUBSCRIPTION_NOT_LATEST",
	remoting.ResponseSubscriptionGroupNotExist: "SUBSCRIPTION_GROUP_NOT_EXIST",
	remoting.ResponseInvalidParameter:          "INVALID_PARAMETER",
	remoting.ResponseConsumerNotOnline:         "CONSUMER_NOT_ONLINE",
	remoting.ResponseFlowControl:               "FLOW_CONTROL",
	remoting.ResponseIllegalOperation:          "ILLEGAL_OPERATION",
	remoting.ResponseGoAway:                    "GO_AWAY",
}

func responseName(code int32) string {
	if n, ok := responseNames[code]; ok {
		return "code " + strconv.Itoa(int(code)) + " " + n
	}
	return "code " + strconv.Itoa(int(code))
}

// requestNames names the requests this package sends.
var requestNames = map[int32]string{
	remoting.RequestSendMessage:                      "SEND_MESSAGE",
	remoting.RequestSendMessageV2:                    "SEND_MESSAGE_V2",
	remoting.RequestSendBatchMessage:                 "SEND_BATCH_MESSAGE",
	remoting.RequestPullMessage:                      "PULL_MESSAGE",
	remoting.RequestQueryConsumerOffset:              "QUERY_CONSUMER_OFFSET",
	remoting.RequestUpdateConsumerOffset:             "UPDATE_CONSUMER_OFFSET",
	remoting.RequestUpdateAndCreateTopic:             "UPDATE_AND_CREATE_TOPIC",
	remoting.RequestSearchOffsetByTimestamp:          "SEARCH_OFFSET_BY_TIMESTAMP",
	remoting.RequestGetMaxOffset:                     "GET_MAX_OFFSET",
	remoting.RequestGetMinOffset:                     "GET_MIN_OFFSET",
	remoting.RequestHeartBeat:                        "HEART_BEAT",
	remoting.RequestUnregisterClient:                 "UNREGISTER_CLIENT",
	remoting.RequestConsumerSendMsgBack:              "CONSUMER_SEND_MSG_BACK",
	remoting.RequestGetConsumerListByGroup:           "GET_CONSUMER_LIST_BY_GROUP",
	remoting.RequestGetRouteInfoByTopic:              "GET_ROUTEINFO_BY_TOPIC",
	remoting.RequestGetBrokerClusterInfo:             "GET_BROKER_CLUSTER_INFO",
	remoting.RequestGetAllTopicListFromNameServer:    "GET_ALL_TOPIC_LIST_FROM_NAMESERVER",
	remoting.RequestDeleteTopicInBroker:              "DELETE_TOPIC_IN_BROKER",
	remoting.RequestDeleteTopicInNamesrv:             "DELETE_TOPIC_IN_NAMESRV",
	remoting.RequestGetConsumeStats:                  "GET_CONSUME_STATS",
	remoting.RequestGetTopicStatsInfo:                "GET_TOPIC_STATS_INFO",
	remoting.RequestUpdateAndCreateSubscriptionGroup: "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP",
}

func requestName(code int32) string {
	if n, ok := requestNames[code]; ok {
		return n + " (" + strconv.Itoa(int(code)) + ")"
	}
	return "request " + strconv.Itoa(int(code))
}
