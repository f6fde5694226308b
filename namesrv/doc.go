// Package namesrv is Saturn's name server: the directory that RocketMQ brokers
// register with and that clients ask for topic routes.
//
// It keeps, in memory only, which brokers exist (grouped by broker name and
// cluster), which topics each master serves with how many queues, and when
// each broker was last heard from. Brokers re-register every 30 s; a broker
// silent for longer than the expiry (120 s by default) or whose connection
// closes is dropped together with the routes only it provided. Several name
// servers run side by side without talking to each other: brokers register
// with all of them and clients may ask any of them.
//
// The only state that survives a restart is the KV config (upstream's
// kvConfig.json), used chiefly for the ORDER_TOPIC_CONFIG namespace.
//
// RouteTable and KVStore hold the logic and know nothing of the network;
// Server maps remoting requests onto them. Response bodies are written by a
// small JSON writer that reproduces the shapes fastjson produces on the Java
// side (sorted members, compact output, numeric map keys quoted or not),
// because the official clients parse some of them by hand.
package namesrv
