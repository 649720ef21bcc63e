// Package node runs one DeTrans peer over libp2p: the real-world driver of the ring state
// machine (ring.Node). It owns everything the protocol core must not touch: the libp2p host and
// its identity, wall-clock timers, goroutines, streams, peer discovery (bootstrap multiaddrs,
// mDNS, kad-dht peer routing) and the blocking public API.
//
// Invariants:
//   - Exactly one goroutine (the event loop, loop.go) owns the ring.Node. Everything else talks
//     to it through channels: inbound messages, API calls run inside the loop, and timer ticks.
//   - The loop never blocks on the network. Outbound messages go to per-peer writer goroutines
//     through bounded queues; a full queue drops the message (the ring tolerates loss).
//   - Input from the network is never trusted: frames are length-prefixed and bounded by
//     ring.MaxMessageSize, decoding errors reset the stream, and a message whose From does not
//     match the authenticated remote peer is dropped. Nothing from the wire may panic the node.
//   - A ring NodeRef for this peer is {ID: ring.HashKey(peerID), Addr: peerID, Inc: incarnation};
//     the incarnation in DataDir/incarnation is bumped and fsynced on every start, so a restarted
//     node is distinguishable from one that was merely partitioned away.
//   - Close stops every goroutine the package started and closes the host: no leaks.
package node
