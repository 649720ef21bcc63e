package txn

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkReadModifyWrite measures the protocol core's own cost of one read-modify-write
// (quorum read, then Paxos Commit) on 4 peers with R = 3, messages encoded and decoded as on
// the wire and state written to an in-memory store: what a transaction costs before any
// network, disk or goroutine. Peer names are as long as libp2p peer IDs, because names are
// most of what the messages and acceptor records carry.
func BenchmarkReadModifyWrite(b *testing.B) {
	c := newCluster(b, 1, testConfig())
	var nodes []*tnode
	for i := range 4 {
		nodes = append(nodes, c.start(fmt.Sprintf("12D3KooW%044d", i), i == 0))
	}
	c.waitConverged(30 * time.Second)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		n := nodes[i%len(nodes)]
		if err := c.put(n, fmt.Sprintf("key-%d", i%1000), fmt.Sprint(i)); err != nil {
			b.Fatalf("put %d: %v", i, err)
		}
	}
}
