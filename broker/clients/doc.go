// Package clients tracks who is connected to the broker: the producer and
// consumer groups announced by HEART_BEAT, their connections, and each
// consumer group's subscriptions, consume type, message model and
// consume-from-where.
//
// The Manager tells the consumers of a group when the group's set of client
// ids changes (NOTIFY_CONSUMER_IDS_CHANGED), so that they rebalance at once
// instead of at their next 20-second rebalance. Connections leave a group when
// they unregister, close, or have not sent a heartbeat for the expiry time.
//
// The package also parses heartbeat bodies from both the Java and the Go
// clients and builds the tag subscriptions used to filter pulled messages.
package clients
