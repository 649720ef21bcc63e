package txn

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// nodesNamed returns the nodes of the given names (c.groupMembers gives names).
func (c *cluster) nodesNamed(names []string) []*tnode {
	out := make([]*tnode, 0, len(names))
	for _, n := range names {
		out = append(out, c.nodes[n])
	}
	return out
}

// lockedCount counts the nodes holding a write lock on key above its version; any read quorum
// meets one once a quorum does.
func lockedCount(nodes []*tnode, key string) int {
	n := 0
	for _, node := range nodes {
		if lockedAt(node, key) {
			n++
		}
	}
	return n
}

func lockedAt(n *tnode, key string) bool {
	gs := n.m.groups[n.m.Placement().GroupOf([]byte(key))]
	it := gs.items[key]
	return it != nil && it.Lock.Held() && it.Lock.Target > it.Version
}

// TestReadWaitsAtTheReplicaForAPendingDecision: a read that reaches the replicas while they
// hold a commit's write lock is answered when the decision is applied there, with the committed
// value. It used to come back with the lock and re-read a RetryInterval later, which a driver
// that ticks every 100 ms stretched to up to 100 ms: the read-modify-write tail under load.
func TestReadWaitsAtTheReplicaForAPendingDecision(t *testing.T) {
	c, nodes := fourNodes(t, 11)
	names := c.groupMembers(nodes[0], "k")
	mems := c.nodesNamed(names)
	require.Len(t, mems, 3)
	tm := mems[0]
	require.NoError(t, c.put(tm, "k", "v1"))
	r := c.get(tm, "k")
	require.NoError(t, r.Err)

	// Decisions travel slowly (5 ms), so a read sent once a quorum is locked finds a lock.
	const decideDelay = 5 * time.Millisecond
	c.delay = func(m Message) time.Duration {
		if m.Type == MsgDecide {
			return decideDelay
		}
		return 0
	}
	var lockReplies, reads int
	c.watch = func(m Message) {
		switch {
		case m.Type == MsgRead:
			reads++
		case m.Type == MsgReadReply && len(m.Items) == 1 && m.Items[0].Target > m.Items[0].Version:
			lockReplies++
		}
	}
	commit := tm.m.Commit(c.now, TxSpec{Ops: []Op{{Key: []byte("k"), ReadVersion: r.Version, Write: true, Value: []byte("v2")}}})
	c.flush(tm)
	for deadline := c.now.Add(time.Second); lockedCount(mems, "k") < 2; {
		require.Less(t, c.now, deadline, "a quorum of replicas never held the lock")
		c.run(50 * time.Microsecond)
	}

	reader := c.nodes["a"]
	for _, n := range []string{"a", "b", "c", "d"} {
		if !contains(names, n) {
			reader = c.nodes[n] // a reader outside the group asks two replicas, one locked at least
		}
	}
	start := c.now
	id := reader.m.Read(c.now, []byte("k"))
	c.flush(reader)
	got := c.await(reader, id, 5*time.Second)
	require.NoError(t, got.Err)
	require.Equal(t, "v2", string(got.Value), "the read waited for the decision and saw its value")
	require.Less(t, c.now.Sub(start), testConfig().withDefaults().RetryInterval,
		"answered when the decision arrived, not a re-read later")
	require.Zero(t, lockReplies, "no replica answered with the lock")
	require.Equal(t, 2, reads, "one quorum asked, no re-reads")
	require.NoError(t, c.await(tm, commit, time.Second).Err)
}

// TestParkedReadGivesUpAfterLockTimeout: when no decision can reach the replicas, a parked read
// is answered with the lock after LockTimeout, so the reader still ends with the clear "pending
// write not resolved" error at its deadline instead of waiting without an answer.
func TestParkedReadGivesUpAfterLockTimeout(t *testing.T) {
	c, nodes := fourNodes(t, 12)
	names := c.groupMembers(nodes[0], "k")
	mems := c.nodesNamed(names)
	var tm *tnode // outside the group: its own decision reaches no replica either
	for _, n := range c.live() {
		if !contains(names, n.name) {
			tm = n
		}
	}
	r := c.get(tm, "k")
	require.NoError(t, r.Err)

	// Nothing that could resolve the transaction arrives: no decision, no recovery.
	c.delay = func(m Message) time.Duration {
		switch m.Type {
		case MsgDecide, MsgOutcome, MsgP1a, MsgP1b, MsgP2a:
			return time.Hour
		}
		return 0
	}
	var lockReplies int
	c.watch = func(m Message) {
		if m.Type == MsgReadReply && len(m.Items) == 1 && m.Items[0].Target > m.Items[0].Version {
			lockReplies++
		}
	}
	tm.m.Commit(c.now, TxSpec{Ops: []Op{{Key: []byte("k"), ReadVersion: r.Version, Write: true, Value: []byte("v2")}}})
	c.flush(tm)
	for deadline := c.now.Add(time.Second); lockedCount(mems, "k") < 2; {
		require.Less(t, c.now, deadline, "a quorum of replicas never held the lock")
		c.run(50 * time.Microsecond)
	}
	reader := mems[0]
	cfg := testConfig().withDefaults()
	start := c.now
	id := reader.m.Read(c.now, []byte("k"))
	c.flush(reader)
	got := c.await(reader, id, 2*cfg.RequestTimeout)
	require.ErrorIs(t, got.Err, ErrNoQuorum)
	require.ErrorContains(t, got.Err, "pending write")
	require.GreaterOrEqual(t, c.now.Sub(start), cfg.RequestTimeout)
	require.Positive(t, lockReplies, "replicas answered with the lock once it outlived LockTimeout")
	for _, n := range mems {
		// The reader asks again at most every RetryInterval and a parked read waits LockTimeout.
		require.LessOrEqual(t, len(n.m.parked), int(cfg.LockTimeout/cfg.RetryInterval)+2,
			"%s: parked reads expire; they do not pile up", n.name)
	}
}
