package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/saturnmq/saturn/remoting"
)

// templateTopic is the topic every RocketMQ broker hosts and registers; its
// route tells which brokers exist.
const templateTopic = "TBW102"

// createTopic creates (or updates) topic with queues read and write queues
// on every master broker named in the template topic's route.
//
// The client package has no admin call for this yet, and sending to a new
// topic would create it with at most the template's queue count, so the
// bench talks to the name server and the brokers directly.
func createTopic(ctx context.Context, nameServers []string, ser remoting.SerializeType, topic string, queues int) error {
	rc := remoting.NewClient(remoting.ClientConfig{Serialize: ser})
	defer rc.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var body []byte
	var errs []error
	for _, ns := range nameServers {
		req := remoting.NewRequest(remoting.RequestGetRouteInfoByTopic, map[string]string{"topic": templateTopic}, nil)
		resp, err := rc.InvokeSync(ctx, ns, req)
		if err == nil && resp.Code != remoting.ResponseSuccess {
			err = fmt.Errorf("code %d: %s", resp.Code, resp.Remark)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("route of %s from %s: %w", templateTopic, ns, err))
			continue
		}
		body = resp.Body
		break
	}
	if body == nil {
		return errors.Join(errs...)
	}
	masters, err := masterAddrs(body)
	if err != nil {
		return err
	}
	if len(masters) == 0 {
		return fmt.Errorf("route of %s names no master broker", templateTopic)
	}
	n := strconv.Itoa(queues)
	for _, addr := range masters {
		req := remoting.NewRequest(remoting.RequestUpdateAndCreateTopic, map[string]string{
			"topic":           topic,
			"readQueueNums":   n,
			"writeQueueNums":  n,
			"perm":            "6", // read and write
			"topicFilterType": "SINGLE_TAG",
			"topicSysFlag":    "0",
			"order":           "false",
		}, nil)
		resp, err := rc.InvokeSync(ctx, addr, req)
		if err == nil && resp.Code != remoting.ResponseSuccess {
			err = fmt.Errorf("code %d: %s", resp.Code, resp.Remark)
		}
		if err != nil {
			return fmt.Errorf("create topic %s on broker %s: %w", topic, addr, err)
		}
	}
	return nil
}

// bareKey matches an unquoted integer object key, as fastjson writes the
// broker-id keys of brokerAddrs ({0:"host:port"}).
var bareKey = regexp.MustCompile(`([{,])\s*(-?[0-9]+)\s*:`)

// masterAddrs returns the master address (broker id 0) of every broker in a
// TopicRouteData body.
func masterAddrs(body []byte) ([]string, error) {
	var route struct {
		BrokerDatas []struct {
			BrokerAddrs map[string]string `json:"brokerAddrs"`
		} `json:"brokerDatas"`
	}
	if err := json.Unmarshal(bareKey.ReplaceAll(body, []byte(`$1"$2":`)), &route); err != nil {
		return nil, fmt.Errorf("route data: %w", err)
	}
	var addrs []string
	for _, b := range route.BrokerDatas {
		if a := b.BrokerAddrs["0"]; a != "" {
			addrs = append(addrs, a)
		}
	}
	return addrs, nil
}
