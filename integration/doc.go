// Package integration holds multi-process tests over real libp2p on 127.0.0.1: every peer is a
// separate detrans-node process built once per test binary (TestMain), driven and observed
// through its command line (run, status --json, lookup, get/put, fault) like an operator would,
// and loaded through its admin API's HTTP endpoints where a process per write would cost more
// than the write. Shared process handling lives in integration/harness.
//
// Store and partition tests judge only what clients were told: every acknowledged write must be
// readable from every peer afterwards (each key is written once, so its value is exact), a write
// refused with "no quorum" changed nothing, and one with an unknown outcome may or may not be
// there. Speeds (time until commits resume, until rings merge) are logged, not asserted.
//
// Invariants: no traffic leaves loopback (peers listen on /ip4/127.0.0.1/tcp/0, mDNS off, admin
// APIs on 127.0.0.1:0); every process a test starts is killed when the test ends; conditions are
// awaited by polling with a ticker and a deadline, never by sleeping; a failing test prints every
// peer's log.
package integration
