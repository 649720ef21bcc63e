package node

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/detrans/detrans/ring"
	"github.com/stretchr/testify/require"
)

// ringOf reports whether nodes form one ring (status only).
func ringOf(nodes []*Node) (bool, string) { return oneRing(nodes) }

// TestRingsMergeAfterAPartitionHeals: peers cut into two sides with the fault switch form two
// rings; after the heal they are one ring again by themselves, and what was written is there.
func TestRingsMergeAfterAPartitionHeals(t *testing.T) {
	cfg := mirrorConfig(t)
	cfg.Found = true
	first := startNode(t, cfg)
	nodes := []*Node{first}
	for range 4 {
		nodes = append(nodes, startNode(t, withBoot(mirrorConfig(t), first)))
	}
	for _, n := range nodes {
		require.NoError(t, n.WaitJoined(context.Background()))
	}
	checkOneRing(t, nodes)
	waitSettled(t, nodes)
	left, right := nodes[:2], nodes[2:]
	for _, a := range left {
		for _, b := range right {
			require.NoError(t, a.Block(b.PeerID()))
			require.NoError(t, b.Block(a.PeerID()))
		}
	}
	eventually(t, 60*time.Second, "two rings", func() (bool, string) {
		okL, whyL := ringOf(left)
		okR, whyR := ringOf(right)
		return okL && okR, whyL + " / " + whyR
	})
	acked := map[string]string{}
	for i := range 20 {
		k := fmt.Sprint("part-", i)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := right[i%3].Put(ctx, []byte(k), []byte("right"))
		cancel()
		if err == nil {
			acked[k] = "right"
		} else {
			require.ErrorIs(t, err, ErrNoQuorum, "key %s", k)
		}
	}
	require.NotEmpty(t, acked, "the 3-peer side commits the keys whose majority it holds")
	start := time.Now()
	for _, n := range nodes {
		require.NoError(t, n.Heal())
	}
	checkOneRing(t, nodes)
	t.Logf("one ring %v after the heal", time.Since(start).Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for k, v := range acked {
		it, err := left[0].Get(ctx, []byte(k))
		require.NoError(t, err)
		require.Equal(t, v, string(it.Value), "key %s", k)
	}
}

// TestRestartedAloneReconnects: a member restarted without any bootstrap address is a ring of
// one; Connect with a peer's address merges it back.
func TestRestartedAloneReconnects(t *testing.T) {
	nodes := startSpace(t, 3)
	checkOneRing(t, nodes)
	acfg := nodes[2].s.Config
	require.NoError(t, nodes[2].Close())
	acfg.Bootstrap = nil
	a := startNode(t, acfg)
	nodes[2] = a
	require.NoError(t, a.WaitJoined(context.Background()))
	require.NoError(t, a.Connect(context.Background(), nodes[0].Addrs()...))
	checkOneRing(t, nodes)
}

// waitSettled waits until every replica group's view on every node is the one the placement
// wants for these nodes, installed and ready on each member.
func waitSettled(t *testing.T, nodes []*Node) {
	t.Helper()
	var refs []ring.NodeRef
	for _, n := range nodes {
		refs = append(refs, n.self)
	}
	eventually(t, 60*time.Second, "replica groups settled", func() (bool, string) {
		for _, n := range nodes {
			bad := ""
			_ = n.do(context.Background(), func(ring.Time) {
				pl := n.p.Txn.Placement()
				for g := range pl.Groups {
					want := pl.Slots(g, refs)
					v, ready := n.p.Txn.Installed(g)
					member := false
					for i, w := range want {
						member = member || w.Addr == n.self.Addr
						if member && (len(v.Slots) <= i || v.Slots[i].Addr != w.Addr) && bad == "" {
							bad = fmt.Sprintf("%s: group %d slot %d not as placed", shortPeer(n.PeerID()), g, i)
						}
					}
					if member && !ready && bad == "" {
						bad = fmt.Sprintf("%s: group %d not ready", shortPeer(n.PeerID()), g)
					}
				}
			})
			if bad != "" {
				return false, bad
			}
		}
		return true, ""
	})
}
