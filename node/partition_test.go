package node

import (
	"context"
	"fmt"
	"math/bits"
	"sync"
	"testing"
	"time"

	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/txn"
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
	// Which side holds a group's majority depends on the random ring ids: cut where both sides
	// hold some, and write keys of both kinds through the 3-peer side.
	var refs []ring.NodeRef
	for _, n := range nodes {
		refs = append(refs, n.self)
	}
	pl := first.p.Txn.Placement()
	inLeft := balancedSplit(pl, refs, 2)
	var left, right []*Node
	for i, n := range nodes {
		if inLeft[i] {
			left = append(left, n)
		} else {
			right = append(right, n)
		}
	}
	rightHolds := func(key string) bool {
		on := 0
		for _, s := range pl.Slots(pl.GroupOf([]byte(key)), refs) {
			for i, r := range refs {
				if r.Addr == s.Addr && !inLeft[i] {
					on++
				}
			}
		}
		return 2*on > pl.Replicas
	}
	var keys []string
	var kinds [2]int // right holds the majority: [1]; left does: [0]
	for i := 0; kinds[0]+kinds[1] < 20 && i < 10000; i++ {
		k := fmt.Sprint("part-", i)
		h := 0
		if rightHolds(k) {
			h = 1
		}
		if kinds[h] < 10 {
			kinds[h]++
			keys = append(keys, k)
		}
	}
	require.Equal(t, [2]int{10, 10}, kinds, "the cut leaves majorities on both sides")
	// A watcher on the left side, subscribed before the cut, must get the right side's
	// commits once the rings are one again (catch-up after the reconnect).
	wctx, wcancel := context.WithCancel(context.Background())
	defer wcancel()
	var wkeys [][]byte
	for _, k := range keys {
		wkeys = append(wkeys, []byte(k))
	}
	changes, err := left[0].Watch(wctx, wkeys...)
	require.NoError(t, err)
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
	// All at once: a refused write takes the store's request timeout.
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	for i, k := range keys {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			errs[i] = right[i%3].Put(ctx, []byte(k), []byte("right"))
		})
	}
	wg.Wait()
	acked := map[string]string{}
	for i, k := range keys {
		err := errs[i]
		if rightHolds(k) {
			require.NoError(t, err, "key %s: the right side holds its group's majority", k)
			acked[k] = "right"
		} else {
			require.ErrorIs(t, err, ErrNoQuorum, "key %s: its group's majority is on the left", k)
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
	seen := map[string]string{}
	for len(seen) < len(acked) {
		select {
		case c := <-changes:
			seen[string(c.Key)] = string(c.Value)
		case <-ctx.Done():
			t.Fatalf("the watch on the left side got %d of the %d writes the right side committed", len(seen), len(acked))
		}
	}
	require.Equal(t, acked, seen, "the watch resumes after the merge with every committed write")
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

// waitSettled waits until nodes form one ring and every replica group's view is the ring's
// (what status reports, checked by GroupsFollowRing).
func waitSettled(t *testing.T, nodes []*Node) {
	t.Helper()
	eventually(t, 60*time.Second, "replica groups settled", func() (bool, string) {
		var sts []Status
		for _, n := range nodes {
			sts = append(sts, n.Status())
		}
		return GroupsFollowRing(sts)
	})
}

// balancedSplit picks which size of the nodes form one side of a cut: the choice that leaves
// the most groups with their majority on the side that holds fewer (so both sides hold some).
func balancedSplit(pl txn.Placement, refs []ring.NodeRef, size int) []bool {
	var best []bool
	bestScore := -1
	n := len(refs)
	for mask := 0; mask < 1<<n; mask++ {
		if bits.OnesCount(uint(mask)) != size {
			continue
		}
		in := make([]bool, n)
		for i := range n {
			in[i] = mask&(1<<i) != 0
		}
		var held [2]int
		for g := range pl.Groups {
			on := 0
			for _, s := range pl.Slots(g, refs) {
				for i, r := range refs {
					if r.Addr == s.Addr && in[i] {
						on++
					}
				}
			}
			if 2*on > pl.Replicas {
				held[0]++
			} else {
				held[1]++
			}
		}
		if score := min(held[0], held[1]); score > bestScore {
			best, bestScore = in, score
		}
	}
	return best
}
