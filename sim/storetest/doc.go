// Package storetest checks the replicated store end to end in the simulator: full peers
// (sim.Peer: ring + txn) under crashes, partitions, loss, duplication, reordering and flapping
// links, with clients whose histories are judged by checkers.
//
//   - Register (register.go): per-key read and write, where a write is a read followed by a
//     commit naming the read version, i.e. a compare-and-set on the version. The history is
//     checked for linearizability with porcupine against a versioned register model.
//   - Bank (bank.go): transfers between accounts as two-key transactions, audited by
//     transactions that read every account and commit a validation of all the versions read;
//     every audit that commits must see the initial total.
//   - Counter (counter.go): increments with retries; no two acknowledged increments replaced
//     the same value, and the final value lies between the acknowledged increments and those
//     plus the ones of unknown outcome.
//
// Outcome semantics (how a client's result enters a history): a read that fails did nothing
// and is left out; a commit that returns nil happened; txn.ErrConflict and txn.ErrNoQuorum (from
// Commit: nothing was sent) mean it did not happen; txn.ErrUnknownOutcome, or a crash of the
// client's peer while the operation was in flight, means it may or may not have happened: the
// operation stays pending forever (porcupine: it may take effect at any point after its call,
// or never), and the client continues as a new process, as in Jepsen.
//
// Everything runs in the simulator's goroutine, driven by one seed: a failure replays exactly
// with simtest's -seed flag.
package storetest
