package txn

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// groupWithK starts four nodes and commits k = v1 at version 1; mems are k's group members.
func groupWithK(t *testing.T, seed uint64) (c *cluster, nodes, mems []*tnode) {
	c, nodes = fourNodes(t, seed)
	mems = c.nodesNamed(c.groupMembers(nodes[0], "k"))
	require.Len(t, mems, 3)
	require.NoError(t, c.put(mems[0], "k", "v1"))
	c.run(10 * time.Millisecond) // the decision reaches every member
	return c, nodes, mems
}

// TestReadLocalAnswersFromTheOwnReplica: a member of the key's group reads its committed state
// without a message; a node outside the group cannot.
func TestReadLocalAnswersFromTheOwnReplica(t *testing.T) {
	c, nodes, mems := groupWithK(t, 21)
	mem := mems[0]
	sent := c.sent
	for _, n := range mems {
		ev, ok := n.m.ReadLocal(c.now, []byte("k"))
		require.True(t, ok, "member %s", n.name)
		require.True(t, ev.Found)
		require.Equal(t, "v1", string(ev.Value))
		require.Equal(t, uint64(1), ev.Version)
	}
	ev, ok := mem.m.ReadLocal(c.now, []byte("never-written"))
	if ok { // "never-written" may be in another group; if this node holds it, it is absent
		require.False(t, ev.Found)
		require.Zero(t, ev.Version)
	}
	require.Equal(t, sent, c.sent, "a local read sends nothing")

	for _, n := range nodes {
		if !slices.Contains(mems, n) {
			_, ok := n.m.ReadLocal(c.now, []byte("k"))
			require.False(t, ok, "%s is not a member of k's group", n.name)
		}
	}
	_, ok = mem.m.ReadLocal(c.now, nil)
	require.False(t, ok, "an empty key")
}

// TestReadLocalStepsAsideForAPendingWrite: while a member holds a commit's write lock it does
// not answer locally (the value under the lock may already be acknowledged); once the decision
// is applied it answers with the new value.
func TestReadLocalStepsAsideForAPendingWrite(t *testing.T) {
	c, _, mems := groupWithK(t, 22)
	c.delay = func(m Message) time.Duration {
		if m.Type == MsgDecide {
			return 20 * time.Millisecond
		}
		return 0
	}
	id := mems[0].m.Commit(c.now, TxSpec{Ops: []Op{{Key: []byte("k"), ReadVersion: 1, Write: true, Value: []byte("v2")}}})
	c.flush(mems[0])
	for lockedCount(mems, "k") < 2 {
		c.run(100 * time.Microsecond)
	}
	for _, n := range mems {
		if lockedAt(n, "k") {
			_, ok := n.m.ReadLocal(c.now, []byte("k"))
			require.False(t, ok, "%s holds the write lock", n.name)
		}
	}
	require.NoError(t, c.await(mems[0], id, time.Second).Err)
	c.run(50 * time.Millisecond)
	for _, n := range mems {
		ev, ok := n.m.ReadLocal(c.now, []byte("k"))
		require.True(t, ok, n.name)
		require.Equal(t, "v2", string(ev.Value))
		require.Equal(t, uint64(2), ev.Version)
	}
}

// TestLaggingLocalReadConflicts: a member that has not heard of a commit yet answers the old
// version locally; a transaction built on it must not commit (the prepare checks the version
// at a majority), and a quorum read then returns the commit.
func TestLaggingLocalReadConflicts(t *testing.T) {
	c, _, mems := groupWithK(t, 23)

	// mems[2] hears nothing of the next commit: it is cut off from the other two members.
	lag := mems[2]
	c.partition([]string{lag.name}, []string{mems[0].name, mems[1].name})
	require.NoError(t, c.commit(mems[0], Op{Key: []byte("k"), ReadVersion: 1, Write: true, Value: []byte("v2")}).Err)
	ev, ok := lag.m.ReadLocal(c.now, []byte("k"))
	require.True(t, ok)
	require.Equal(t, uint64(1), ev.Version, "the lagging member answers what it has")
	c.heal()

	res := c.commit(lag, Op{Key: []byte("k"), ReadVersion: ev.Version, Write: true, Value: []byte("lost")})
	require.ErrorIs(t, res.Err, ErrConflict, "a commit on a stale local read must not overwrite v2")
	r := c.get(lag, "k")
	require.NoError(t, r.Err)
	require.Equal(t, "v2", string(r.Value))
	require.Equal(t, uint64(2), r.Version)
}

// TestReadLocalNeedsAMajorityHeardLately: a member cut off from the rest of its group stops
// answering locally once it has heard from none of them for a while, so a transaction on the
// minority side of a partition gets a clear "no quorum" from its read instead of sending a
// commit whose outcome it could not learn.
func TestReadLocalNeedsAMajorityHeardLately(t *testing.T) {
	c, nodes, mems := groupWithK(t, 24)
	alone := mems[2]
	_, ok := alone.m.ReadLocal(c.now, []byte("k"))
	require.True(t, ok, "heard from its group just now")

	var others []string
	for _, n := range nodes {
		if n != alone {
			others = append(others, n.name)
		}
	}
	c.partition([]string{alone.name}, others)
	c.run(alone.m.localReadFresh() + c.cfg.RetryInterval)
	_, ok = alone.m.ReadLocal(c.now, []byte("k"))
	require.False(t, ok, "heard from no other member lately")
	id := alone.m.Read(c.now, []byte("k"))
	c.flush(alone)
	require.ErrorIs(t, c.await(alone, id, 10*time.Second).Err, ErrNoQuorum)

	c.heal()
	require.NoError(t, c.put(alone, "k", "v2")) // its quorum read and commit talk to the group
	_, ok = alone.m.ReadLocal(c.now, []byte("k"))
	require.True(t, ok, "heard from its group again")
}

// TestUnknownOutcomeMatchesNoQuorum: an unknown outcome is a kind of "no quorum" (errors.Is),
// as the node API documents, and stays distinguishable.
func TestUnknownOutcomeMatchesNoQuorum(t *testing.T) {
	err := fmt.Errorf("commit: %w", ErrUnknownOutcome)
	require.ErrorIs(t, err, ErrUnknownOutcome)
	require.ErrorIs(t, err, ErrNoQuorum)
	require.True(t, IsNoQuorum(err))
	require.NotErrorIs(t, fmt.Errorf("read: %w", ErrNoQuorum), ErrUnknownOutcome)
}
