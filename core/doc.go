// Package core composes the protocol state machines of one peer — the ring overlay (ring/) and
// the transactional store (txn/) — into one deterministic machine, Peer, that both drivers run:
// the simulator (sim/) and the libp2p node (node/). It routes messages to their layer, feeds the
// ring's view to the store when membership changes, and merges their outputs.
//
// Invariants: like its parts, Peer does no I/O, reads no clock and starts no goroutines; Msg's
// codec (one layer byte, then that layer's codec) is the only wire format of a peer, and it
// rejects malformed input with an error, never a panic.
package core
