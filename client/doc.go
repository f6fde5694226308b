// Package client is Saturn's Go client SDK: producers, push and pull
// consumers and an admin API that speak Apache RocketMQ's remoting protocol,
// so they work against Saturn and against Apache RocketMQ brokers and name
// servers alike.
//
// Everything starts from a Client, one client instance: the connections to
// name servers and brokers, the route cache (refreshed every 30 s and when
// sends fail), the heartbeat loop and the handlers of requests brokers send
// to clients. Unlike upstream clients there is no process-wide state; a
// process may run several Clients.
//
//	c, err := client.New(client.Config{NameServers: []string{"127.0.0.1:9876"}})
//	p, err := client.NewProducer(c, client.ProducerConfig{Group: "pg"})
//	res, err := p.SendSync(ctx, &message.Message{Topic: "T", Body: []byte("hi")})
//
//	pc, err := client.NewPushConsumer(c, client.PushConsumerConfig{Group: "cg"},
//		func(ctx context.Context, msgs []*message.Ext) client.ConsumeResult {
//			return client.ConsumeSuccess
//		})
//	err = pc.Subscribe("T", "*")
//	err = pc.Start(ctx)
//
// Every call takes a context; calls whose context has no deadline get the
// configured default timeout. Errors are typed: *RouteError (no route,
// matching ErrNoRoute), *BrokerError (a refusal with code and remark),
// *SendError (every attempt of a send), and transport errors matching
// ErrTimeout or ErrClosed.
//
// SendAsync and SendBatchAsync call back on one goroutine per broker
// connection, one callback after another, so that an asynchronous send costs
// no goroutine or timer of its own: keep callbacks short (sending again from
// one, even with SendSync, is fine).
//
// Not implemented yet: transactional messages (CHECK_TRANSACTION_STATE
// requests are logged and ignored), orderly consumption with queue locks,
// SQL92 subscriptions, request/reply.
package client
