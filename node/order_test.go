package node

import (
	"bufio"
	"bytes"
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

// TestUnboundMessagesLeaveAtOnceInOrder: messages that depend on no write leave in the flush
// that made them, in the order they were made, even past a message to the same peer that waits
// for its fsync; that one waits. A prepare made after a decision to the same peer leaves after
// it (overtaking it met the decision's lock and aborted).
func TestUnboundMessagesLeaveAtOnceInOrder(t *testing.T) {
	a, x := startNode(t, testConfig(t)), startNode(t, testConfig(t))
	msg := func(ty txn.MsgType, seq uint64) core.Msg {
		return core.Msg{Txn: &txn.Message{Type: ty, From: a.self, To: x.self, Seq: seq, Code: txn.CodeAbort}}
	}
	var sent []uint64
	var kept []core.Msg
	require.NoError(t, a.do(context.Background(), func(ring.Time) {
		out := core.Output{Msgs: []core.Msg{
			msg(txn.MsgVote, 1),    // bound: waits for the fsync
			msg(txn.MsgDecide, 2),  // unbound: leaves now
			msg(txn.MsgPrepare, 3), // after the decision
			msg(txn.MsgAccepted, 4),
			msg(txn.MsgRead, 5),
		}}
		a.sendUnbound(&out)
		kept = out.Msgs
		br := bufio.NewReader(bytes.NewReader(a.outbox[x.host.ID()]))
		for {
			p, err := readFrame(br, nil, maxFrameBytes)
			if err != nil {
				break
			}
			m, err := x.decodePayload(p)
			require.NoError(t, err)
			sent = append(sent, m.Txn.Seq)
		}
		a.sendOutbox()
	}))
	require.Equal(t, []uint64{2, 3, 5}, sent, "decision, prepare, read: at once and in order")
	require.Len(t, kept, 2)
	require.Equal(t, uint64(1), kept[0].Txn.Seq)
	require.Equal(t, uint64(4), kept[1].Txn.Seq)
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
