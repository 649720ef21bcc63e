// Package local is the optimistic local-transaction layer of a peer (DESIGN.md §5) as a
// deterministic state machine: the app's edits (intents) apply to the peer's local view at
// once, wait in a durable outbox, and commit in order as store transactions in the background —
// consecutive entries together in one transaction when that changes nothing (batch.go). It runs inside core.Peer on top of the store (txn/), so the simulator can crash,
// cut off and restart it exactly like the rest of the protocol.
//
// The local view is the committed mirror (every key of the space, kept current by the store's
// change feeds and persisted so it works offline after a restart) with the pending intents' writes
// laid over it in outbox order.
//
// Invariants:
//   - Local never waits for the network: it validates, records the intent durably (Output.Persist
//     before the driver answers) and returns.
//   - Intents commit in outbox order, each exactly once, also across crashes between the commit and
//     the removal from the outbox: every commit also writes this peer's outbox marker key with the
//     entry's sequence number, and the marker is re-read whenever an outcome is unknown.
//   - A commit checks the version of every key the intent reads or writes against the version its
//     author's view was based on. On a conflict the app's Rebaser for the intent's kind gets the
//     fresh committed values and returns a new intent (or drops it); a later pending intent that
//     saw a rebased or dropped intent's writes is rebased too.
//   - While no quorum answers, entries wait; the view keeps serving reads with them applied.
//   - Changes the user did not make (others' commits, rebases, drops) are reported as Changes; the
//     user's own Local calls are not echoed.
package local
