// Package harness starts and observes detrans-node processes for multi-process tests: build the
// binary once, start N peers on loopback that join through the first, restart one on its data
// dir, kill -9 or stop one, read every peer's status through `detrans-node status --json`, and
// check ring properties on those statuses.
//
// Everything a Cluster starts is killed in t.Cleanup, and when the test failed every peer's log
// (stderr and stdout of all its runs) is printed. A peer built with -race that reports a data
// race fails the test.
package harness
