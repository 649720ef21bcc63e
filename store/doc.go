// Package store keeps one peer's replicas on a go-datastore: for every replica it holds, the
// key's value, version, tombstone flag and transaction lock, plus small metadata records (the
// replica-group views this peer belongs to, protocol bookkeeping).
//
// Invariants:
//   - Apply is atomic and durable: when it returns nil, every write in the batch survives a crash
//     (pebble WAL fsync), and either all of them or none are visible after a restart. Protocols
//     acknowledge a vote or a commit only after Apply returned. ApplyNoSync is atomic and
//     survives a process crash; it is for writes nothing is acknowledged on (the local outbox).
//   - Records are self-describing and versioned; a record that does not decode is reported as an
//     error naming the key, never a panic, and is left untouched.
//   - Replicas are indexed by ring position, so a range of the ring can be scanned for state
//     transfer without touching the rest.
//
// The package does no networking, reads no clock and starts no goroutines of its own; the
// persistent backend is pebble through go-ds-pebble (pure Go, batched atomic writes, group-
// committed WAL fsync), and tests and the simulator use an in-memory map datastore. Pebble's
// write-ahead logs are zeroed ahead of their end (walfs.go) so that a sync overwrites blocks
// instead of growing the file, which would make every sync commit ext4's shared journal.
package store
