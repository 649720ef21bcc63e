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
// Fault families (faults.go), each a function of the seed: Crashes (peers crash and restart,
// also a TM 0–20 ms into a commit), Partitions (2|3, 1|4 of 5; 3|4, 2|5, 1|6 of 7, shorter than
// failure detection), Network (1–5% loss, duplication, jitter and reordering, flapping links,
// one-way cuts), SplitBrain (all of it plus one majority|minority partition of 4–12 s, which
// splits the ring: safety only) and MachineCrashes (machine.go: power losses on lazily synced
// disks, sim.UseLazyDisk, which model node/'s group commit: a peer loses the writes it had not
// synced yet, mid-commit, right after an acknowledgement, or right after a write). Every run then heals, lets the clients go on, goes quiet and
// (except for SplitBrain) must settle and answer final reads. The seed also picks the request
// timeout (0.7, 1.5 or 3 s), so that faults end operations with no quorum or an unknown outcome.
//
// Everything runs in the simulator's goroutine, driven by one seed: a failure replays exactly.
//
//	go test ./sim/storetest                          # 200 seeds per family
//	go test ./sim/storetest -run TestCrashes -seeds=10000   # soak
//	go test ./sim/storetest -run '^TestCrashes$/^seed=7$' -seed=7 -v -storetest.trace=/tmp/t.txt
//	go test ./sim/storetest -run TestMachineCrashesTally -storetest.tally=2000 -v  # soak, tallied
//
// A failing seed logs its replay command; a linearizability failure also names an HTML
// visualization (porcupine) in the temporary directory and lists the offending key's history.
package storetest
