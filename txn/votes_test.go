package txn

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/detrans/detrans/ring"
	"github.com/stretchr/testify/require"
)

func refs(addrs ...string) []ring.NodeRef {
	out := make([]ring.NodeRef, len(addrs))
	for i, a := range addrs {
		out[i] = ring.NodeRef{Addr: a}
	}
	return out
}

func addrs(rs []ring.NodeRef) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Addr
	}
	return out
}

// A first vote goes to a majority of the acceptors: this node's own, the TM's, then the next
// after this node; a resent prepare's vote goes to all of them.
func TestVoteTargetsAreAMajorityFirstAllOnRetry(t *testing.T) {
	accs := refs("x", "y", "z")
	require.Equal(t, []string{"y", "x"}, addrs(voteTargets(accs, "y", "x", false)), "own acceptor, then the TM's")
	require.Equal(t, []string{"x", "y"}, addrs(voteTargets(accs, "x", "x", false)), "TM's own replica: itself, then the next")
	require.Equal(t, []string{"z", "x"}, addrs(voteTargets(accs, "z", "w", false)), "TM no acceptor: the next after z wraps to x")
	require.Equal(t, []string{"z", "x"}, addrs(voteTargets(accs, "w", "z", false)), "replica no acceptor: the TM's, then from the start")
	require.Equal(t, []string{"x", "y", "z"}, addrs(voteTargets(accs, "y", "x", true)), "a retry asks every acceptor")
	require.Equal(t, []string{"x"}, addrs(voteTargets(refs("x"), "x", "x", false)), "a group of one")
	require.Equal(t, []string{"y", "x"}, addrs(voteTargets(refs("x", "y"), "y", "w", false)), "two acceptors: both")
	five := refs("a", "b", "c", "d", "e")
	require.Equal(t, []string{"d", "a", "e"}, addrs(voteTargets(five, "d", "a", false)))
}

// A commit whose first votes went partly to an acceptor that cannot answer still commits: the
// TM's resend makes the replicas vote to every acceptor.
func TestCommitWithAnUnreachableAcceptorOfTheFirstMajority(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		c, nodes := fourNodes(t, seed)
		key := "k"
		mem := c.groupMembers(nodes[0], key)
		require.Len(t, mem, 3)
		// Cut the third member off from the other two (and the TM among them): each of the two
		// reachable replicas may have picked it for its first vote.
		var tm *tnode
		for _, n := range nodes {
			if n.name == mem[0] {
				tm = n
			}
		}
		var others []string
		for _, n := range nodes {
			if n.name != mem[2] {
				others = append(others, n.name)
			}
		}
		c.partition([]string{mem[2]}, others)
		start := c.now
		require.NoError(t, c.put(tm, key, "v"), "seed %d", seed)
		require.Less(t, c.now.Sub(start), time.Second, "seed %d: a resend, not a recovery", seed)
		c.heal()
		require.Equal(t, "v", string(c.get(tm, key).Value))
	}
}

// A member that was fenced by a view change (or left the view) after it locked for a
// transaction says its vote again when the TM resends the prepare: the vote is the lock it
// holds. A member without the lock still refuses.
func TestFencedMemberRepeatsTheVoteItsLockHolds(t *testing.T) {
	c, nodes := threeNodes(t)
	a := nodes[0]
	g := a.m.Placement().GroupOf([]byte("k"))
	gs := a.m.groups[g]
	epoch := gs.view.Epoch
	tm := nodes[1].ref
	prep := Message{Type: MsgPrepare, From: tm, To: a.ref, Tx: TxID{1}, Group: uint32(g), Epoch: epoch,
		Items: []Item{{Key: []byte("k"), Write: true, Value: []byte("v")}}, Acceptors: []ring.NodeRef{a.ref, nodes[1].ref, nodes[2].ref},
		Parts: []Part{{Key: []byte("k"), Group: uint32(g), Epoch: epoch, Members: []string{"a", "b", "c"}}}}
	votesOf := func(msgs []Message) map[string]bool {
		out := map[string]bool{}
		for _, m := range msgs {
			if m.Type == MsgVote {
				out[m.To.Addr] = m.Votes[0].Prepared
			}
		}
		return out
	}
	a.m.Step(c.now, prep)
	out := a.m.Ready()
	require.Equal(t, map[string]bool{"b": true}, votesOf(out.Msgs), "first vote: the TM's acceptor (a's own accepts in place)")
	for _, m := range out.Msgs {
		if m.Type == MsgVote {
			require.Equal(t, uint64(voteAccepted), m.Seq, "the vote to the TM carries a's own acceptance (first attempt)")
		}
		require.NotEqual(t, MsgAccepted, m.Type, "no acceptance message of its own")
	}
	rec := a.m.acc[TxID{1}]
	require.NotNil(t, rec, "a's acceptor holds the vote")
	require.True(t, rec.inst[instKey([]byte("k"), "a")].prepared)

	gs.accEpoch = epoch + 1 // a accepted the next view: fenced
	prep.Seq = 1
	a.m.Step(c.now, prep)
	require.Equal(t, map[string]bool{"b": true, "c": true}, votesOf(a.m.Ready().Msgs), "the resend repeats the vote to all")

	other := prep
	other.Tx = TxID{2}
	a.m.Step(c.now, other)
	require.Equal(t, map[string]bool{"b": false, "c": false}, votesOf(a.m.Ready().Msgs), "no lock of its own: a fenced member refuses")

	// A lock the member adopted in a state transfer is no vote it gave (storetest seed 2289):
	// it refuses to vote for it in the epoch it was fenced from.
	it := gs.items["k"]
	it.Lock.Adopted = true
	a.m.Step(c.now, prep)
	require.Equal(t, map[string]bool{"b": false, "c": false}, votesOf(a.m.Ready().Msgs), "an adopted lock: no vote repeated")
}

// Fast-path acceptances of one transaction to one TM made in one batch travel as one message;
// other messages, other transactions, other TMs and recovery ballots are left alone.
func TestAcceptancesOfOneBatchAreCoalesced(t *testing.T) {
	x, y := ring.NodeRef{Addr: "x"}, ring.NodeRef{Addr: "y"}
	acc := func(to ring.NodeRef, tx byte, replica string, ballot uint64) Message {
		return Message{Type: MsgAccepted, To: to, Tx: TxID{tx}, Ballot: ballot, Votes: []Vote{{Key: []byte("k"), Replica: replica, Prepared: true}}}
	}
	in := []Message{
		acc(x, 1, "a", 0), {Type: MsgVote, To: x}, acc(y, 1, "a", 0), acc(x, 2, "a", 0), acc(x, 1, "b", 0), acc(x, 1, "c", 7), acc(x, 1, "c", 0),
	}
	orig := in[0].Votes
	out := coalesceAccepted(in)
	var got []string
	for _, m := range out {
		s := m.Type.String() + "→" + m.To.Addr
		if m.Type == MsgAccepted {
			s += " tx" + string(rune('0'+m.Tx[0]))
			for _, v := range m.Votes {
				s += " " + v.Replica
			}
		}
		got = append(got, s)
	}
	require.Equal(t, []string{"accepted→x tx1 a b c", "vote→x", "accepted→y tx1 a", "accepted→x tx2 a", "accepted→x tx1 c"}, got)
	require.Len(t, orig, 1, "the first message's vote slice is not written through")
}

// One single-key commit through a TM that is one of the key's three members costs, between
// peers: one prepare (its own replica and one other make a quorum), two votes (the other's
// carries its own acceptor's acceptance), one acceptance (of the TM's own vote) and two
// decisions (the replica not asked applies the commit too).
func TestCommitMessagesWhenTheTMIsAMember(t *testing.T) {
	c := newCluster(t, 3, testConfig())
	nodes := []*tnode{c.start("a", true), c.start("b", false), c.start("c", false)}
	c.waitConverged(30 * time.Second)
	a := nodes[0]
	r := c.get(a, "k")
	require.NoError(t, r.Err)
	counts := map[MsgType]int{}
	c.watch = func(m Message) {
		if m.From.Addr != m.To.Addr {
			counts[m.Type]++
		}
	}
	ev := c.commit(a, Op{Key: []byte("k"), ReadVersion: r.Version, Write: true, Value: []byte("v")})
	require.NoError(t, ev.Err)
	c.run(100 * time.Millisecond)
	c.watch = nil
	// The prepare goes to a quorum (the TM's own replica and one more), the decision to both others.
	require.Equal(t, map[MsgType]int{MsgPrepare: 1, MsgVote: 2, MsgAccepted: 1, MsgDecide: 2}, counts)
	for _, n := range nodes {
		require.Equal(t, "v", string(c.get(n, "k").Value))
		it := n.m.groups[n.m.Placement().GroupOf([]byte("k"))].items["k"]
		require.Equal(t, "v", string(it.Value), "%s applied the decision, asked or not", n.name)
	}
}

// TestAcceptorRecordIsWrittenOncePerReady: an acceptor that changes one record several times
// before Ready writes it once, in its last state (which a restart restores whole), and a record
// dropped after it was changed is not written back after its delete.
func TestAcceptorRecordIsWrittenOncePerReady(t *testing.T) {
	c := newCluster(t, 1, testConfig())
	a := c.start("a", true)
	m := a.m
	tx := TxID{1}
	b, d := ring.NodeRef{ID: ring.HashKey([]byte("b")), Addr: "b", Inc: 1}, ring.NodeRef{ID: ring.HashKey([]byte("d")), Addr: "d", Inc: 1}
	parts := []Part{{Key: []byte("k"), Members: []string{"a", "b", "d"}}}
	vote := func(from ring.NodeRef) Message {
		return Message{Type: MsgVote, From: from, To: a.ref, Tx: tx, TM: b, Acceptors: []ring.NodeRef{a.ref, b, d}, Parts: parts,
			Votes: []Vote{{Key: []byte("k"), Replica: from.Addr, Prepared: true}}}
	}
	m.Step(c.now, vote(b))
	m.Step(c.now, vote(d))
	out := m.Ready()
	require.NotNil(t, out.Persist)
	require.Equal(t, 1, out.Persist.Len(), "two acceptances, one write")
	require.NoError(t, a.st.Apply(context.Background(), out.Persist))

	restored, err := New(c.cfg, a.ref, 2)
	require.NoError(t, err)
	require.NoError(t, restored.Restore(context.Background(), c.now, a.st))
	require.Len(t, restored.acc[tx].inst, 2, "the record written holds both acceptances")

	m.persistRecord(tx, m.acc[tx])
	delete(m.acc, tx) // what the garbage collector does, in the same Ready
	m.batch().DeleteMeta(recordName(tx))
	out = m.Ready()
	require.Equal(t, 1, out.Persist.Len(), "the delete only")
	require.NoError(t, a.st.Apply(context.Background(), out.Persist))
	_, found, err := a.st.Meta(context.Background(), recordName(tx))
	require.NoError(t, err)
	require.False(t, found)
}

// TestCommitMessagesWhenTheTMIsNotAMember: a TM outside the key's replica group is no acceptor,
// so it hears of each vote through the acceptor it went to, which passes on the replica's own
// acceptance with its own: 2 prepares (a quorum of replicas first), 2 votes, 2 acceptances, 3
// decisions between peers (each replica's own acceptance used to cost an extra message to the
// TM, and every replica used to get a prepare).
func TestCommitMessagesWhenTheTMIsNotAMember(t *testing.T) {
	c := newCluster(t, 3, testConfig())
	nodes := []*tnode{c.start("a", true), c.start("b", false), c.start("c", false), c.start("d", false)}
	c.waitConverged(30 * time.Second)
	var d *tnode // a TM outside the key's group
	key := ""
	for i := 0; i < 100 && d == nil; i++ {
		key = fmt.Sprintf("k%d", i)
		v := nodes[0].m.View(c.cfg.Placement.GroupOf([]byte(key)))
		for _, n := range nodes {
			if !v.Has(n.name) {
				d = n
			}
		}
	}
	require.NotNil(t, d, "some group leaves a node out")
	r := c.get(d, key)
	require.NoError(t, r.Err)
	counts := map[MsgType]int{}
	c.watch = func(m Message) {
		if m.From.Addr != m.To.Addr {
			counts[m.Type]++
		}
	}
	ev := c.commit(d, Op{Key: []byte(key), ReadVersion: r.Version, Write: true, Value: []byte("v")})
	require.NoError(t, ev.Err)
	c.run(100 * time.Millisecond)
	c.watch = nil
	require.Equal(t, map[MsgType]int{MsgPrepare: 2, MsgVote: 2, MsgAccepted: 2, MsgDecide: 3}, counts)
	for _, n := range nodes {
		require.Equal(t, "v", string(c.get(n, key).Value))
	}
}

// TestUnencodableAcceptorRecordFailsTheBatch: a record too large to encode is not silently left
// out of the batch (the acceptance would count without being durable); the batch fails instead.
func TestUnencodableAcceptorRecordFailsTheBatch(t *testing.T) {
	c := newCluster(t, 1, testConfig())
	a := c.start("a", true)
	m := a.m
	tx := TxID{2}
	rec := m.record(c.now, tx, a.ref, []ring.NodeRef{a.ref}, []Part{{Key: []byte("k"), Members: []string{"a"}}})
	rec.writes = []Item{{Key: []byte("k"), Write: true, Value: make([]byte, MaxMessageSize)}}
	m.persistRecord(tx, rec)
	out := m.Ready()
	require.NotNil(t, out.Persist)
	err := a.st.ApplyNoSync(context.Background(), out.Persist)
	require.ErrorContains(t, err, "acceptor record")
	_, found, err := a.st.Meta(context.Background(), recordName(tx))
	require.NoError(t, err)
	require.False(t, found)
}

// TestPrepareWidensWhenAnAskedReplicaVotesNo: a prepare goes to a quorum of replicas first; when
// one of them votes no (here: it missed the last decision and still holds its lock), the TM asks
// the replica it had left out at once, and the transaction commits with it, without waiting a
// RetryInterval.
func TestPrepareWidensWhenAnAskedReplicaVotesNo(t *testing.T) {
	c, nodes := fourNodes(t, 5)
	mems := c.nodesNamed(c.groupMembers(nodes[0], "k"))
	tm, stale := mems[0], mems[1]
	c.delay = func(m Message) time.Duration {
		if m.Type == MsgDecide && m.To.Addr == stale.name {
			return time.Hour // stale never hears how its transactions ended
		}
		return 0
	}
	prepares := map[string]int{}
	c.watch = func(m Message) {
		if m.Type == MsgPrepare {
			prepares[m.To.Addr]++
		}
	}
	retry := testConfig().withDefaults().RetryInterval
	for i := range 6 {
		r := c.get(tm, "k")
		require.NoError(t, r.Err)
		start := c.now
		ev := c.commit(tm, Op{Key: []byte("k"), ReadVersion: r.Version, Write: true, Value: []byte{'v', byte('0' + i)}})
		require.NoError(t, ev.Err, "commit %d", i)
		require.Less(t, c.now.Sub(start), retry, "commit %d: decided without waiting for the hedge", i)
	}
	require.Positive(t, prepares[stale.name], "the stale replica was asked at times")
	third := mems[2]
	require.Equal(t, 6, prepares[third.name], "the third replica carried every commit the stale one could not")
}
