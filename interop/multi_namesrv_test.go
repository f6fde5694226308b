package interop

import (
	"context"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/saturnmq/saturn/interop/harness"
)

// TestBrokerRegistersWithEveryNameServer runs two `saturn namesrv` processes
// and one `saturn broker` configured with both. Each name server, asked on
// its own, routes the broker's topics; with one name server killed, a
// producer that knows both still sends.
func TestBrokerRegistersWithEveryNameServer(t *testing.T) {
	addrs := harness.FreeAddrs(t, 3)
	ns1, ns2, brokerAddr := addrs[0], addrs[1], addrs[2]
	p1 := harness.Start(t, binary(t), []string{ns1}, "namesrv", "--listen", ns1)
	harness.Start(t, binary(t), []string{ns2}, "namesrv", "--listen", ns2)
	harness.Start(t, binary(t), []string{brokerAddr}, "broker", "--listen", brokerAddr,
		"--data-dir", t.TempDir(), "--namesrv-addr", ns1+";"+ns2)

	const topic = "MultiNamesrvTopic"
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	adm, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver([]string{ns1})))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	if err := adm.CreateTopic(ctx, admin.WithTopicCreate(topic), admin.WithBrokerAddrCreate(brokerAddr),
		admin.WithReadQueueNums(3), admin.WithWriteQueueNums(3)); err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{ns1, ns2} {
		one, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver([]string{ns})))
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, 30*time.Second, "route of "+topic+" at "+ns, func() bool {
			mqs, err := one.FetchPublishMessageQueues(ctx, topic)
			return err == nil && len(mqs) == 3
		})
		one.Close()
	}

	s := &saturn{t: t, nsAddr: ns1 + ";" + ns2} // only for the producer's resolver
	p := s.newProducerWith([]string{ns1, ns2})
	p1.Kill()
	for i := range 10 {
		if _, err := p.SendSync(ctx, testMessage(topic, "k"+string(rune('a'+i)), "")); err != nil {
			t.Fatalf("send with one name server down: %v", err)
		}
	}
}
