package node

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/detrans/detrans/local"
	"github.com/stretchr/testify/require"
)

// appendRule merges by re-applying the op (", i") on top of the fresh value.
func appendRule(in local.Intent, fresh map[string]local.Value) local.Rebased {
	k := in.Writes[0].Key
	v := string(fresh[k].Data) + string(in.Op)
	return local.Rebased{Intent: &local.Intent{Kind: in.Kind, Op: in.Op, Writes: []local.Write{{Key: k, Value: []byte(v)}}}, Notice: "merged"}
}

func appendEdit(t *testing.T, n *Node, key string, i int) {
	t.Helper()
	ctx := context.Background()
	v, err := n.View(ctx, key)
	require.NoError(t, err)
	op := fmt.Sprintf(",%d", i)
	require.NoError(t, n.Local(ctx, local.Intent{Kind: "append", Op: []byte(op), Writes: []local.Write{{Key: key, Value: append(v.Data, op...)}}}))
}

func mirrorConfig(t testing.TB) Config {
	cfg := testConfig(t)
	cfg.Mirror = true
	cfg.AllowFaultInjection = true
	cfg.Rebasers = map[string]local.Rebaser{"append": appendRule}
	return cfg
}

func waitSynced(t *testing.T, n *Node, what string) {
	t.Helper()
	eventually(t, 60*time.Second, what, func() (bool, string) {
		s := n.Sync()
		return s.Pending == 0, fmt.Sprintf("%d pending, online %v", s.Pending, s.Online)
	})
}

// TestOfflineEditsAcrossRestartsCommitExactlyOnceInOrder: a peer cut off from the others edits
// 500 times, is restarted twice meanwhile, then reconnects; every edit commits once, in order.
func TestOfflineEditsAcrossRestartsCommitExactlyOnceInOrder(t *testing.T) {
	cfg := mirrorConfig(t)
	cfg.Found = true
	b := startNode(t, cfg)
	c := startNode(t, withBoot(mirrorConfig(t), b))
	acfg := withBoot(mirrorConfig(t), b)
	a := startNode(t, acfg)
	for _, n := range []*Node{a, b, c} {
		require.NoError(t, n.WaitJoined(context.Background()))
	}
	checkOneRing(t, []*Node{a, b, c})
	require.NoError(t, a.Block(b.PeerID(), c.PeerID()))
	require.NoError(t, b.Block(a.PeerID()))
	require.NoError(t, c.Block(a.PeerID()))

	const edits, keys = 500, 5
	restart := func(boot bool) {
		require.NoError(t, a.Close())
		cfg := acfg
		if !boot {
			cfg.Bootstrap = nil // offline: nobody to reach
		}
		a = startNode(t, cfg)
		if !boot {
			require.NoError(t, a.Block(b.PeerID(), c.PeerID()))
		}
	}
	for i := range edits {
		appendEdit(t, a, fmt.Sprint("log/", i%keys), i)
		switch i {
		case 180:
			restart(false)
		case 360:
			restart(false)
		}
	}
	require.Equal(t, edits, a.Sync().Pending, "nothing could commit while cut off")
	v, err := a.View(context.Background(), "log/0")
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(string(v.Data), ",495"), "the view shows the pending edits")

	require.NoError(t, b.Heal())
	require.NoError(t, c.Heal())
	restart(true) // reconnect
	waitSynced(t, a, "outbox drained")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for k := range keys {
		want := ""
		for i := k; i < edits; i += keys {
			want += fmt.Sprintf(",%d", i)
		}
		it, err := b.Get(ctx, []byte(fmt.Sprint("log/", k)))
		require.NoError(t, err)
		require.Equal(t, want, string(it.Value), "log/%d: every edit once, in order", k)
	}
}

func withBoot(cfg Config, to *Node) Config {
	cfg.Bootstrap = to.Addrs()
	return cfg
}

// startMirrorTrio starts three joined peers with local mirrors: a founds the space, b and c
// join through it.
func startMirrorTrio(t *testing.T) (a, b, c *Node) {
	cfg := mirrorConfig(t)
	cfg.Found = true
	a = startNode(t, cfg)
	b = startNode(t, withBoot(mirrorConfig(t), a))
	c = startNode(t, withBoot(mirrorConfig(t), a))
	for _, n := range []*Node{a, b, c} {
		require.NoError(t, n.WaitJoined(context.Background()))
	}
	return a, b, c
}

// TestConcurrentEditorsConvergeAndTheRuleSeesTheConflict: two peers edit the same key at the
// same time; both end with the same value holding both edits, and a merge was reported.
func TestConcurrentEditorsConvergeAndTheRuleSeesTheConflict(t *testing.T) {
	a, b, c := startMirrorTrio(t)
	notices := make(chan string, 100)
	cancel := b.WatchLocal("shared", func(ch local.Change) {
		if ch.Notice != "" {
			notices <- ch.Notice
		}
	})
	defer cancel()
	for i := range 20 {
		appendEdit(t, a, "shared", 2*i)
		appendEdit(t, b, "shared", 2*i+1)
	}
	for _, n := range []*Node{a, b, c} {
		waitSynced(t, n, "drained")
	}
	eventually(t, 30*time.Second, "views converge", func() (bool, string) {
		va, _ := a.View(context.Background(), "shared")
		vb, _ := b.View(context.Background(), "shared")
		vc, _ := c.View(context.Background(), "shared")
		return string(va.Data) == string(vb.Data) && string(vb.Data) == string(vc.Data), fmt.Sprintf("a=%q b=%q c=%q", va.Data, vb.Data, vc.Data)
	})
	v, _ := c.View(context.Background(), "shared")
	for i := range 40 {
		require.Contains(t, string(v.Data)+",", fmt.Sprintf(",%d,", i), "edit %d survived", i)
	}
	require.Positive(t, a.Sync().Merged+b.Sync().Merged, "the rule merged conflicts")
}

func TestWatchDeliversCommittedVersionsInOrder(t *testing.T) {
	nodes := startSpace(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, nodes[0].Put(ctx, []byte("w"), []byte("v0")))
	ch, err := nodes[2].Watch(ctx, []byte("w"))
	require.NoError(t, err)
	first := <-ch
	require.Equal(t, "v0", string(first.Value))
	for i := 1; i <= 5; i++ {
		require.NoError(t, nodes[i%2].Put(ctx, []byte("w"), []byte(fmt.Sprint("v", i))))
	}
	last := first.Version
	for last < first.Version+5 {
		c := <-ch
		require.Greater(t, c.Version, last)
		last = c.Version
		if last == first.Version+5 {
			require.Equal(t, "v5", string(c.Value))
		}
	}
}

// TestPartitionedEditorsConvergeAndEveryConflictIsMerged: b is cut off from a and c while both
// a and b append to the same key; a commits at once, b's edits wait. After the heal both end
// with the same value holding every edit, and b's merge rule ran for each of its edits (each
// conflicted with what a committed meanwhile, directly or through its own rebased predecessor).
func TestPartitionedEditorsConvergeAndEveryConflictIsMerged(t *testing.T) {
	a, b, c := startMirrorTrio(t)
	nodes := []*Node{a, b, c}
	waitSettled(t, nodes)
	appendEdit(t, a, "shared", 0)
	waitSynced(t, a, "first edit")
	eventually(t, 30*time.Second, "b sees the first edit", func() (bool, string) {
		v, _ := b.View(context.Background(), "shared")
		return string(v.Data) == ",0", fmt.Sprintf("b has %q", v.Data)
	})
	require.NoError(t, b.Block(a.PeerID(), c.PeerID()))
	require.NoError(t, a.Block(b.PeerID()))
	require.NoError(t, c.Block(b.PeerID()))
	const each = 15
	for i := 1; i <= each; i++ {
		appendEdit(t, a, "shared", 2*i)
		appendEdit(t, b, "shared", 2*i+1)
	}
	waitSynced(t, a, "a commits on the majority side")
	require.Equal(t, each, b.Sync().Pending, "b's edits wait while it is cut off")

	for _, n := range nodes {
		require.NoError(t, n.Heal())
	}
	for _, n := range nodes {
		waitSynced(t, n, "drained after the heal")
	}
	eventually(t, 30*time.Second, "views converge", func() (bool, string) {
		va, _ := a.View(context.Background(), "shared")
		vb, _ := b.View(context.Background(), "shared")
		return string(va.Data) == string(vb.Data), fmt.Sprintf("a=%q b=%q", va.Data, vb.Data)
	})
	v, err := a.Get(context.Background(), []byte("shared"))
	require.NoError(t, err)
	for i := 0; i <= 2*each+1; i++ {
		if i == 1 {
			continue // edits are 0, then 2i (a) and 2i+1 (b) for i ≥ 1
		}
		require.Contains(t, string(v.Value)+",", fmt.Sprintf(",%d,", i), "edit %d survived", i)
	}
	sb := b.Sync()
	require.Zero(t, sb.Dropped+a.Sync().Dropped, "nothing dropped")
	require.Equal(t, each, sb.Merged, "b's rule merged each of its edits")
}
