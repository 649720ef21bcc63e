package node

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/detrans/detrans/core"
	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/store"
	"github.com/detrans/detrans/txn"
	"github.com/stretchr/testify/require"
)

// TestUnboundMessagesKeepPerPeerOrder: a message that may leave before the fsync does so only
// if nothing to the same peer is held; otherwise it waits and leaves after what was made before
// it (a replica's next vote to an acceptor must not overtake the one before, nor a prepare the
// vote made before it).
func TestUnboundMessagesKeepPerPeerOrder(t *testing.T) {
	a, x, y := startNode(t, testConfig(t)), startNode(t, testConfig(t)), startNode(t, testConfig(t))
	msg := func(to *Node, ty txn.MsgType) core.Msg {
		return core.Msg{Txn: &txn.Message{Type: ty, From: a.self, To: to.self}}
	}
	var sent uint64
	var kept []core.Msg
	require.NoError(t, a.do(context.Background(), func(ring.Time) {
		a.held[x.self.Addr] = 1 // a vote to x waits for its fsync
		before := a.counters.msgsSent.Load()
		out := core.Output{Msgs: []core.Msg{
			msg(x, txn.MsgPrepare), // held back behind x's vote
			msg(y, txn.MsgRead),    // nothing held for y: leaves now
			msg(y, txn.MsgVote),    // bound
			msg(y, txn.MsgPrepare), // made after y's vote: waits for it
		}}
		a.sendUnbound(&out)
		sent, kept = a.counters.msgsSent.Load()-before, out.Msgs
		delete(a.held, x.self.Addr)
	}))
	require.Equal(t, uint64(1), sent, "only the read to y left at once")
	var got []string
	for _, m := range kept {
		got = append(got, m.Txn.Type.String()+"→"+shortPeer(m.Dst()))
	}
	require.Equal(t, []string{
		"prepare→" + shortPeer(x.self.Addr), "vote→" + shortPeer(y.self.Addr), "prepare→" + shortPeer(y.self.Addr),
	}, got)
}

// TestHeldCountsDrain: once the store is quiet, no peer counts a message as held (release
// balances what flush counted), so later unbound messages are not held back for nothing.
func TestHeldCountsDrain(t *testing.T) {
	nodes := startSpace(t, 3)
	ctx := context.Background()
	for i := range 20 {
		require.NoError(t, nodes[i%3].Put(ctx, []byte{'k', byte(i)}, []byte("v")))
	}
	for _, n := range nodes {
		eventually(t, 10*time.Second, "held drains", func() (bool, string) {
			var held int
			require.NoError(t, n.do(ctx, func(ring.Time) { held = len(n.held) }))
			return held == 0, "messages still held"
		})
	}
}

// A write nothing waits for (a replica applying a decision) asks for no sync of its own; the
// syncer takes it within lazySync of being told about it, and stops when the node does.
func TestSyncerTakesLazyWrites(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := &Node{ctx: ctx, store: store.NewMemory(), syncReq: make(chan struct{}, 1), lazyReq: make(chan struct{}, 1),
		syncDone: make(chan struct{}, 1), syncerDone: make(chan struct{}), quit: make(chan struct{})}
	go n.syncer()
	n.appliedSeq.Store(3)
	n.lazyReq <- struct{}{}
	eventually(t, 5*time.Second, "lazy write synced", func() (bool, string) {
		return n.synced.Load() == 3, fmt.Sprintf("synced %d", n.synced.Load())
	})
	require.Equal(t, uint64(1), n.counters.syncs.Load(), "one fsync for the lazy writes")
	close(n.quit)
	<-n.syncerDone
}
