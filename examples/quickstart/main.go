// Command quickstart sends ten messages to a running Saturn and consumes
// them back, with Saturn's Go client. Start Saturn first (`make run`), then:
//
//	go run ./examples/quickstart
//
// The name server address can be changed with -namesrv.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"sync"
	"time"

	"github.com/saturnmq/saturn/client"
	"github.com/saturnmq/saturn/message"
)

func main() {
	namesrv := flag.String("namesrv", "127.0.0.1:9876", "name server address")
	topic := flag.String("topic", "QuickStart", "topic (created on first send)")
	count := flag.Int("n", 10, "messages to send and receive")
	flag.Parse()
	if err := run(*namesrv, *topic, *count); err != nil {
		log.Fatal(err)
	}
}

func run(namesrv, topic string, n int) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	c, err := client.New(client.Config{NameServers: []string{namesrv}})
	if err != nil {
		return err
	}
	defer c.Close(context.Background())

	// Produce.
	p, err := client.NewProducer(c, client.ProducerConfig{Group: "quickstart-producer"})
	if err != nil {
		return err
	}
	defer p.Shutdown(context.Background())
	for i := range n {
		msg := &message.Message{Topic: topic, Body: []byte(fmt.Sprintf("hello %d", i))}
		msg.SetProperty(message.PropertyTags, "greeting")
		res, err := p.SendSync(ctx, msg)
		if err != nil {
			return fmt.Errorf("send: %w", err)
		}
		fmt.Printf("sent %q: id %s queue %d offset %d\n", msg.Body, res.MsgID, res.Queue.QueueID, res.QueueOffset)
	}

	// Consume: a clustering push consumer that starts at the first message.
	var wg sync.WaitGroup
	wg.Add(n)
	var once sync.Map
	consumer, err := client.NewPushConsumer(c, client.PushConsumerConfig{
		Group:       "quickstart-consumer",
		ConsumeFrom: client.ConsumeFromFirstOffset,
	}, func(_ context.Context, msgs []*message.Ext) client.ConsumeResult {
		for _, m := range msgs {
			fmt.Printf("received %q from queue %d offset %d\n", m.Body, m.QueueID, m.QueueOffset)
			if _, seen := once.LoadOrStore(string(m.Body), true); !seen {
				wg.Done()
			}
		}
		return client.ConsumeSuccess
	})
	if err != nil {
		return err
	}
	if err := consumer.Subscribe(topic, "greeting"); err != nil {
		return err
	}
	if err := consumer.Start(ctx); err != nil {
		return err
	}
	defer consumer.Shutdown(context.Background())

	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		fmt.Println("all messages received")
		return nil
	case <-ctx.Done():
		return fmt.Errorf("not all messages arrived: %w", ctx.Err())
	}
}
