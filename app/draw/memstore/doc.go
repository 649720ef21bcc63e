// Package memstore is an in-memory stand-in for the node's optimistic transactional store
// (DESIGN.md §4–5), faithful enough that the drawing model's multi-user tests mean something.
//
// A Network holds the shared committed state: per key a value and a version that only grows (a
// delete bumps it too, so a re-created key never repeats an old version). Each Replica is one
// user's node: its own copy of the committed state as last pulled, an outbox of pending intents and
// the local view = known committed state with the pending writes laid over it.
//
// Nothing happens in the background: tests drive time with Flush (commit the outbox in order, then pull),
// Pull (receive others' commits) and Network.Sync (both, for every online replica), so every
// interleaving is reproducible. Run adds a ticker for interactive use.
//
// Invariants:
//   - Local never blocks on other replicas and never calls watchers.
//   - Intents commit in outbox order, each exactly once; a commit checks the version of every key
//     the intent reads or writes against the version its author's view was based on.
//   - An intent whose view of a key came from an earlier pending intent of the same replica
//     inherits that intent's committed version, unless the earlier intent was rebased or dropped:
//     then its writes are stale and it is forced through its own rebase.
//   - A rebase or drop is reported to watchers of the touched keys, with the Rebaser's notice.
package memstore
