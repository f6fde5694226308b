// Package meta holds the broker's persisted metadata: the topic table
// (topics.json), the subscription-group table (subscriptionGroup.json) and
// the committed consumer offsets (consumerOffset.json), together with the
// naming and permission rules RocketMQ clients expect.
//
// Every table is safe for concurrent use. Lookups that sit on the send and
// pull paths take a read lock and do not allocate. Files are written
// atomically (temporary file, fsync, rename); the previous content is kept as
// "<file>.bak" and loading falls back to it when the main file is missing or
// unreadable, as upstream brokers do. The loaders accept upstream's fastjson
// output, including integer map keys written without quotes.
package meta
