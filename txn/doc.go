// Package txn is DeTrans's replicated transactional key/value store as a deterministic state
// machine: replica groups with views changed by consensus, consistent-quorum reads, and
// multi-key transactions committed by Paxos Commit. Like ring/, it does no I/O: drivers feed it
// time, messages, ring news and client calls, and carry out Ready's output — persisting
// Output.Persist durably before sending Output.Msgs, except the messages Message.Unbound lets
// go at once and the self-addressed ones Message.StepAtOnce lets a driver step before the sync.
//
// Placement (placement.go): the ring is cut into Groups arcs; a key belongs to the arc of its
// hash. Group g has R slots; slot i belongs to the first node at or after anchor(g, i) that holds
// no earlier slot, so a group has min(R, N) distinct members: 1 node → a group of 1 (quorum 1;
// a single node serves and commits alone), 2 nodes → 2 (quorum 2: losing either stops writes —
// consistency first), 3+ → R (quorum ⌊R/2⌋+1).
//
// Invariants:
//   - A read or a vote counts only from a member answering for the epoch the requester named
//     (a consistent quorum); a member that accepted the next view, or handed its state to it
//     (a pull), is fenced and answers no request of the current one, so no operation completes
//     across a view change.
//   - A view changes only by single-decree Paxos among a majority of the previous view, one
//     member at a time (a change puts one node in one slot; if that node held a later slot, the
//     node it displaces takes that one, so the members stay the same), and every member of the
//     new view pulls the group's state from enough old members (transfer.go) before it serves:
//     a minority side of a partition can neither change a view nor commit.
//   - A transaction commits iff every key has a majority of its replicas with a chosen
//     "prepared" vote; votes are Paxos instances decided by the acceptors (the members of the
//     first key's group), so a dead TM is replaced by a recovery that reaches the same outcome.
//   - Replicas lock on prepare (no-wait: a conflicting prepare votes abort at once) and always
//     release: on the decision, on a recovered decision, or when a later version is installed.
//     A read that sees a pending write above the newest version waits for it to resolve, so a
//     read never returns a value older than an acknowledged commit: the replica holds its
//     answer until the lock goes (at most LockTimeout; then it answers with the lock and the
//     reader asks again), so the reader hears of the decision without re-reading.
//   - ReadLocal answers from this node's own replica with no quorum, so it may lag: it is for
//     reads inside a transaction only, whose prepare checks every version read at a majority.
//   - Nothing here reads a clock, spawns goroutines or iterates a map into the output; the same
//     inputs give the same outputs.
package txn
