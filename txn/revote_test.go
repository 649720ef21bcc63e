package txn

import (
	"testing"
	"time"

	"github.com/detrans/detrans/ring"
	"github.com/stretchr/testify/require"
)

// A replica's vote is the ballot-0 value of its Paxos Commit instance, but a replica can vote
// twice with different values: a prepare resent (or duplicated) after the replica applied the
// decision and released its lock finds the version moved and votes "abort"; a replica that
// voted "abort" because another transaction held the key may vote "prepared" once it is free.
// Acceptors keep the first value they got, so different acceptors may hold different ballot-0
// values of one instance. A value is chosen at ballot 0 only when a majority accepted that
// same value.
//
// Regression: storetest TestPartitions seed=662. The TM p1 held p2's "prepared" from acceptor
// p2 when a partition cut it off; the majority side recovered and committed. After the heal
// the TM resent the prepare, p2 (version moved by the commit) voted "abort", acceptor p1 (which
// had not seen that instance) accepted it, and the TM, counting two answers without comparing
// them, took the last one as chosen and told its client the committed transaction aborted.

// threeNodes is a converged space of a, b, c (every group has all three as members) with
// every link cut, so that the test delivers protocol messages by hand.
func threeNodes(t *testing.T) (*cluster, []*tnode) {
	c := newCluster(t, 9, testConfig())
	nodes := []*tnode{c.start("a", true), c.start("b", false), c.start("c", false)}
	c.waitConverged(30 * time.Second)
	c.partition([]string{"a"}, []string{"b"}, []string{"c"})
	return c, nodes
}

func accepted(from, to ring.NodeRef, tx TxID, key, replica string, prepared bool) Message {
	return Message{Type: MsgAccepted, From: from, To: to, Tx: tx,
		Votes: []Vote{{Key: []byte(key), Replica: replica, Prepared: prepared}}}
}

func commitEvent(c *cluster, n *tnode, id uint64) (Event, bool) {
	for _, e := range c.events[n.name] {
		if e.Kind == EvCommitDone && e.ReqID == id {
			return e, true
		}
	}
	return Event{}, false
}

func TestTMCountsOnlyMatchingBallotZeroValues(t *testing.T) {
	c, nodes := threeNodes(t)
	a, b, cc := nodes[0], nodes[1], nodes[2]
	id := a.m.Commit(c.now, TxSpec{Ops: []Op{{Key: []byte("k"), Write: true, Value: []byte("v")}}})
	c.flush(a)
	c.run(time.Millisecond) // a's own replica and acceptor answer: (k, a) has a's "prepared"
	tx := a.m.commits[id].tx
	step := func(m Message) { a.m.Step(c.now, m); c.flush(a) }

	// (k, c) is chosen "abort"; (k, b) has "prepared" from acceptor b and "abort" from acceptor
	// a: no value of (k, b) has a majority, so nothing is decided yet.
	step(accepted(b.ref, a.ref, tx, "k", "c", false))
	step(accepted(cc.ref, a.ref, tx, "k", "c", false))
	step(accepted(b.ref, a.ref, tx, "k", "b", true))
	step(accepted(a.ref, a.ref, tx, "k", "b", false))
	ev, done := commitEvent(c, a, id)
	require.False(t, done, "decided on mixed ballot-0 values of (k, b): %+v", ev)

	// Acceptor c accepted b's "prepared" too: (k, b) is chosen "prepared"; with (k, a) chosen
	// "prepared" by b as well, two of three replicas are prepared: commit.
	step(accepted(cc.ref, a.ref, tx, "k", "b", true))
	step(accepted(b.ref, a.ref, tx, "k", "a", true))
	ev, done = commitEvent(c, a, id)
	require.True(t, done)
	require.NoError(t, ev.Err)
}

func TestRecoveryWaitsOutMixedBallotZeroValues(t *testing.T) {
	c, nodes := threeNodes(t)
	a, b, cc := nodes[0], nodes[1], nodes[2]
	var tx TxID
	tx[0] = 0x77
	accs := []ring.NodeRef{a.ref, b.ref, cc.ref}
	parts := []Part{{Key: []byte("k"), Group: uint32(a.m.Placement().GroupOf([]byte("k"))), Epoch: 1, Members: []string{"a", "b", "c"}}}
	// Acceptor a got replica b's second vote, "abort", first.
	a.m.Step(c.now, Message{Type: MsgVote, From: b.ref, To: a.ref, Tx: tx, Acceptors: accs, Parts: parts, TM: cc.ref,
		Votes: []Vote{{Key: []byte("k"), Replica: "b", Prepared: false}}})
	c.flush(a)

	a.m.startRecovery(c.now, tx, cc.ref, accs, parts)
	c.flush(a)
	c.run(time.Millisecond) // a's own promise: (k, b) "abort" at ballot 0
	r := a.m.recov[tx]
	require.NotNil(t, r)
	// b's promise: (k, b) and (k, c) "prepared" at ballot 0. With a's and b's promises, (k, b)
	// may have been chosen either way (by b and c, or by a and c): wait for c.
	a.m.Step(c.now, Message{Type: MsgP1b, From: b.ref, To: a.ref, Tx: tx, Ballot: r.ballot, Code: CodeOK, Votes: []Vote{
		{Key: []byte("k"), Replica: "b", Prepared: true}, {Key: []byte("k"), Replica: "c", Prepared: true}}})
	c.flush(a)
	require.Equal(t, 1, a.m.recov[tx].phase, "proposed while (k, b) may have been chosen either way")

	// c accepted "prepared" for (k, b): that value was chosen, and with (k, c) the transaction
	// commits.
	a.m.Step(c.now, Message{Type: MsgP1b, From: cc.ref, To: a.ref, Tx: tx, Ballot: r.ballot, Code: CodeOK, Votes: []Vote{
		{Key: []byte("k"), Replica: "b", Prepared: true}}})
	c.flush(a)
	r = a.m.recov[tx]
	require.Equal(t, 2, r.phase)
	for _, v := range r.values {
		if v.Replica == "b" {
			require.True(t, v.Prepared, "(k, b) was chosen prepared by b and c")
		}
	}
}
