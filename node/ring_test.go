package node

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/detrans/detrans/ring"
	"github.com/stretchr/testify/require"
)

// startRing starts count nodes on loopback, each joining through the first.
func startRing(t *testing.T, count int) []*Node {
	t.Helper()
	first := startNode(t, testConfig(t))
	nodes := []*Node{first}
	for range count - 1 {
		cfg := testConfig(t)
		cfg.Bootstrap = first.Addrs()
		nodes = append(nodes, startNode(t, cfg))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, n := range nodes {
		require.NoError(t, n.WaitJoined(ctx))
	}
	return nodes
}

// TestEightNodesFormOneRing runs the real ring state machine over libp2p on 127.0.0.1.
func TestEightNodesFormOneRing(t *testing.T) {
	nodes := startRing(t, 8)
	checkOneRing(t, nodes)

	// Every node finds the true owner of a key.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range 16 {
		key := []byte(fmt.Sprint("key-", i))
		want := trueOwner(nodes, ring.HashKey(key))
		res, err := nodes[i%len(nodes)].Lookup(ctx, key)
		require.NoError(t, err)
		require.Equal(t, want, res.Owner, "lookup of %s from %s", key, nodes[i%len(nodes)].PeerID())
	}
}

// TestRingRepairsAfterCrashAndLeave: a node that vanishes without a word is detected and cut
// out; a node that leaves gracefully is cut out at once.
func TestRingRepairsAfterCrashAndLeave(t *testing.T) {
	nodes := startRing(t, 6)
	checkOneRing(t, nodes)

	crashed := nodes[2]
	crashed.skipLeave = true
	require.NoError(t, crashed.Close())
	nodes = slices.Delete(nodes, 2, 3)
	checkOneRing(t, nodes)
	passive := 0
	for _, n := range nodes {
		passive += n.Status().Passive
	}
	require.Positive(t, passive, "the crashed node is on its neighbours' passive lists")

	left := nodes[0]
	require.NoError(t, left.Close())
	nodes = nodes[1:]
	checkOneRing(t, nodes)
}

func trueOwner(nodes []*Node, key ring.ID) string {
	best, bestD := "", ring.ID{}
	for _, n := range nodes {
		d := key.Dist(n.RingID())
		if best == "" || d.Less(bestD) {
			best, bestD = n.PeerID(), d
		}
	}
	return best
}
