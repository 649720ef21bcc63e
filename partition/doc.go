// Package partition heals partitions of the overlay as a deterministic state machine: it
// detects that a node removed as failed is alive and in another ring, and zips the rings back
// into one with Ring-Unification (Shafaat, Ghodsi, Haridi): mlookup routes a foreign node's id
// through our ring to the two nodes it falls between, trymerge tells the foreign node about them,
// and each trymerge continues the zip at once on the other ring, walking both rings in step.
//
// Detection: the ring's passive list (nodes removed on suspicion, with their incarnation) is
// probed with backoff: each entry from ProbeMin doubling up to a low cap ProbeMax, and at most
// ProbeBudget probes per period γ over all entries, the longest due first. The budget, not the
// backoff, bounds the cost: O(1) probes per node per γ however many nodes it lost and however
// long ago (the cap used to stretch to 30 s after 2 min apart, which made merges after long
// splits take a minute just to notice the heal); and since every entry comes up at least every
// max(ProbeMax, entries/ProbeBudget·γ), a heal after a split of any length is noticed within a
// few γ. An answer with the same incarnation means the node was across a partition (a new
// incarnation is a restart — merging with it is harmless and cheap). Any message from a passive
// node is a trigger too (ring.EvPassiveContact).
//
// Fragments: a partition can break a side into pieces none of whose nodes is on another's
// passive list. After the ring removes a node, a node asks one node per γ, round-robin over
// the nodes it knows of and does not see in its view (nodes its tables once held, nodes it
// heard from: ring.Node.Heard), to place it — an mlookup of its own id in that node's ring;
// the pace halves every SearchFor down to the periodic self-check's (CheckPeriod), which goes
// on at that pace forever. So a side whose members know each other transitively becomes one
// ring (a node that knows none of its side and that none of them knows cannot be found). In
// our own ring such a lookup stops at our neighbours after a few hops.
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
