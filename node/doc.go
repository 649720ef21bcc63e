// Package node runs one DeTrans peer over libp2p: the real-world driver of the protocol core
// (core.Peer: the ring overlay and the transactional store). It owns everything the core must
// not touch: the libp2p host and its identity, wall-clock timers, goroutines, streams, the
// pebble store on disk, peer discovery (bootstrap multiaddrs, mDNS, kad-dht peer routing) and
// the blocking public API (Lookup, Get, Put, Delete, Txn, Status).
//
// Invariants:
//   - Exactly one goroutine (the event loop, loop.go) owns the core.Peer. Everything else talks
//     to it through channels: inbound messages, API calls run inside the loop, and timer ticks.
//   - The loop takes up to maxBatch queued inputs, then makes the peer's writes durable with one
//     fsync, and only then sends the messages and answers the calls that depend on them.
//     Messages and events that depend on no unsynced write (core.Msg.Unbound, txn.Event.Unbound:
//     requests, decisions, read results) go at once, in the order they were made, past held
//     messages to the same peer; writes nothing waits for are synced with the next fsync or
//     within lazySync.
//   - The loop never blocks on the network. The frames one flush sends a peer go to that peer's
//     writer goroutine together, through a bounded queue; a full queue drops them (the protocols
//     tolerate loss). Readers hand the loop every complete frame they have buffered at once.
//   - Input from the network is never trusted: frames are length-prefixed and bounded by
//     the codec's limit, decoding errors reset the stream, and a message whose From does not
//     match the authenticated remote peer is dropped. Nothing from the wire may panic the node.
//   - A ring NodeRef for this peer is {ID: ring.HashKey(peerID), Addr: peerID, Inc: incarnation};
//     the incarnation in DataDir/incarnation is bumped and fsynced on every start, so a restarted
//     node is distinguishable from one that was merely partitioned away.
//   - Close stops every goroutine the package started and closes the host: no leaks.
package node
