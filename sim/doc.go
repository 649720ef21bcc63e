// Package sim is the deterministic simulator that drives DeTrans protocol state machines (ring/,
// txn/, partition/, store/) in virtual time, the second driver next to node/ (real libp2p).
//
// A Sim runs many Machine values in one goroutine. Each machine is stepped with the messages
// addressed to it and ticked at the wake time it asks for; after every Step, Tick or start the
// simulator drains Ready and sends the messages through a seeded network model (per-link
// latency with jitter, loss, duplication, reordering, partitions, flapping links). Scenario code
// schedules actions (start, crash, restart, partition, heal, arbitrary callbacks) in the same
// virtual time.
//
// Invariants that make a seed replay the same trace:
//   - Single-threaded: no goroutines; events run one at a time in (time, sequence) order, where
//     the sequence number is assigned when the event is scheduled, so ties break by causality.
//   - One seeded PCG generator (math/rand/v2) for everything the network decides; machines get
//     their own seed derived from the sim seed, their address and their incarnation.
//   - No wall clock, no map iteration order and no pointer values reach anything that affects
//     the trace: nodes are kept in slices, listings are sorted.
//   - Every event (send, deliver, drop with reason, tick, start, crash, restart, stop, scenario
//     callbacks) is appended to a running SHA-256 (TraceHash) as a compact binary record, and
//     written as a text line when Config.Trace is set. The hash does not depend on whether a
//     text trace is written.
//
// Faults: Partition(groups...) puts the named nodes in groups 1..n and every other node
// (including ones started later) in group 0; cross-group messages are dropped at send and at
// delivery. Crash drops the machine, its timer and every message in flight to it (also if it
// restarts before they arrive); Restart makes the next incarnation with the same Disk. Scenario
// schedules are Go code (At, After, Every, RunFor, RunUntil, WaitFor) or a small text script
// (Script, see scenario.go).
//
// Ring checkers (CheckOneRing, CheckNoTwoOwners, CheckPredecessors, TrueOwner, CheckLookup) are
// pure functions over ring.State snapshots. The seed helper for tests lives in sim/simtest so
// that its command-line flags are registered only in test binaries.
package sim
