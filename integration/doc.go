// Package integration holds multi-process tests over real libp2p on 127.0.0.1: every peer is a
// separate detrans-node process built once per test binary (TestMain), driven and observed only
// through its command line (run, status --json, lookup) like an operator would. Shared process
// handling lives in integration/harness so later tests (store, partitions, apps) reuse it.
//
// Invariants: no traffic leaves loopback (peers listen on /ip4/127.0.0.1/tcp/0, mDNS off, admin
// APIs on 127.0.0.1:0); every process a test starts is killed when the test ends; conditions are
// awaited by polling with a ticker and a deadline, never by sleeping; a failing test prints every
// peer's log.
package integration
