package txn

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestServingAPullFencesTheOldEpoch: a member of view e-1 that hands its state to a member of
// the chosen view e (a pull of epoch e-1 naming e) answers no prepare or read of e-1 after that,
// also after a restart. Otherwise a member outside the view change's majority could still vote
// in e-1 after its state was taken: with a vote given before the change by a member of that
// majority, an old-epoch transaction committed beside a new-view one that had not seen its lock
// (storetest seed 3067: two acknowledged writes of one version).
func TestServingAPullFencesTheOldEpoch(t *testing.T) {
	c, nodes := fourNodes(t, 25)
	names := c.groupMembers(nodes[0], "k")
	x := c.nodes[names[0]]
	var puller *tnode
	for _, n := range nodes {
		if !contains(names, n.name) {
			puller = n
		}
	}
	g := x.m.Placement().GroupOf([]byte("k"))
	v := x.m.View(g)
	next := v.Clone()
	next.Epoch++
	next.Slots[len(next.Slots)-1] = puller.ref

	var votes []Vote
	var readCodes []Code
	c.watch = func(m Message) {
		if m.From.Addr != x.name {
			return
		}
		switch m.Type {
		case MsgVote:
			votes = append(votes, m.Votes...)
		case MsgReadReply:
			readCodes = append(readCodes, m.Code)
		}
	}
	prepare := func(tx byte) {
		x.m.Step(c.now, Message{Type: MsgRead, From: puller.ref, To: x.ref, Seq: 99, Group: uint32(g), Epoch: v.Epoch, Items: []Item{{Key: []byte("k")}}})
		x.m.Step(c.now, Message{Type: MsgPrepare, From: puller.ref, To: x.ref, Tx: TxID{tx}, Group: uint32(g), Epoch: v.Epoch,
			Items: []Item{{Key: []byte("k"), Write: true, Value: []byte("late")}}, Acceptors: v.Members()})
		c.flush(x)
		c.run(5 * time.Millisecond)
	}

	// Before: x serves epoch v.Epoch.
	prepare(1)
	require.Equal(t, []Vote{{Key: []byte("k"), Replica: x.name, Prepared: true}}, votes[len(votes)-1:])
	require.Equal(t, []Code{CodeOK}, readCodes)
	x.m.Step(c.now, Message{Type: MsgDecide, From: puller.ref, To: x.ref, Tx: TxID{1}, Code: CodeAbort, Items: []Item{{Key: []byte("k")}}})
	c.flush(x)

	// x hands its state to a member of the next view.
	x.m.Step(c.now, Message{Type: MsgPull, From: puller.ref, To: x.ref, Group: uint32(g), Epoch: v.Epoch, View: next})
	c.flush(x)
	votes, readCodes = nil, nil
	prepare(2)
	for _, vt := range votes {
		require.False(t, vt.Prepared, "a prepare of the epoch whose state x handed over")
	}
	require.Len(t, readCodes, 1)
	require.NotEqual(t, CodeOK, readCodes[0], "a read of that epoch")
	_, ok := x.m.ReadLocal(c.now, []byte("k"))
	require.False(t, ok)

	// The fence is durable: a machine restored from x's store keeps it.
	m2, err := New(c.cfg, x.ref, 7)
	require.NoError(t, err)
	require.NoError(t, m2.Restore(context.Background(), c.now, x.st))
	code, _ := m2.status(g, v.Epoch)
	require.NotEqual(t, CodeOK, code)
}
