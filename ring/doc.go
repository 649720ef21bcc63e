// Package ring is the overlay of DeTrans as a deterministic state machine: a relaxed ring
// (Beernet) of 128-bit identifiers with successor and predecessor lists, k-ary fingers for
// O(log N) routing, a failure detector with adaptive timeouts, graceful leave and a bounded
// passive list of removed nodes for the partition layer.
//
// The machine does no I/O: drivers (sim/ and node/) feed it time, messages and API calls through
// Bootstrap, Step, Tick, Lookup and Leave, and carry out what Ready returns (messages to send,
// events, the next wake-up time). It reads no clock, starts no goroutines and draws randomness
// only from the seed it was created with, so a simulator run replays exactly.
//
// Invariants:
//   - A node answers for key k only when k ∈ (pred, self] in its own view; a predecessor pointer
//     moves only to a node between the old predecessor and self (or to the next known
//     predecessor when the old one is removed), so joins never give a key two owners.
//   - Tables hold at most one entry per address; a message from a newer incarnation of a node
//     replaces every entry of the older one, and messages from older incarnations are ignored.
//   - Nodes removed on suspicion go to the passive list with their incarnation; nodes that left
//     gracefully or restarted do not.
//   - Messages never alias the node's tables, and every message round-trips through the codec
//     (codec.go), which rejects malformed input with ErrMalformed and never panics.
package ring
