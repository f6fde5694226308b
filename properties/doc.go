// Package properties reads text in the java.util.Properties format, the
// format of RocketMQ's broker.conf and namesrv.conf, so that users can bring
// their existing files to Saturn unchanged.
package properties
