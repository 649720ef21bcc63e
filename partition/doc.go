// Package partition heals partitions of the overlay as a deterministic state machine: it
// detects that a node removed as failed is alive and in another ring, and zips the rings back
// into one with Ring-Unification (Shafaat, Ghodsi, Haridi): mlookup routes a foreign node's id
// through our ring to the two nodes it falls between, trymerge tells the foreign node about them,
// and each trymerge continues the zip at once on the other ring, walking both rings in step.
//
// Detection: the ring's passive list (nodes removed on suspicion, with their incarnation) is
// probed with exponential backoff; an answer with the same incarnation means the node was across
// a partition (a new incarnation is a restart — merging with it is harmless and cheap). Any
// message from a passive node is a trigger too (ring.EvPassiveContact).
//
// Trade-off: every period γ a node starts mlookups for up to F queued foreign nodes (fan-out F;
// the probe answer brings the foreign node's successors and fingers, so several zippers run in
// parallel). Larger F or smaller γ merge faster for more messages. A false detection (the node is
// in our ring after all) costs one routed mlookup that stops where the id already sits.
//
// Invariants: like ring/, no I/O, no clock, no goroutines; ring pointers only move closer
// (ring.Node.Adopt), so merging never gives a key two owners; the stores' views then converge
// through their own consensus (txn/), not here.
package partition
