package node

import (
	"bufio"
	"bytes"
	"context"
	"testing"

	"github.com/detrans/detrans/core"
	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/txn"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"github.com/stretchr/testify/require"
)

func payloadOf(t *testing.T, frame []byte) []byte {
	t.Helper()
	p, err := readFrame(bufio.NewReader(bytes.NewReader(frame)), nil, maxFrameBytes)
	require.NoError(t, err)
	return p
}

// TestDialHintsGoOncePerDestination: a message naming a peer carries that peer's addresses to
// a receiver that does not know them, which learns them; the next message to the same receiver
// within hintEvery does not repeat them; one to another receiver does.
func TestDialHintsGoOncePerDestination(t *testing.T) {
	a, b, d := startNode(t, testConfig(t)), startNode(t, testConfig(t)), startNode(t, testConfig(t))
	c := startNode(t, testConfig(t))
	a.host.Peerstore().AddAddrs(c.host.ID(), c.host.Addrs(), peerstore.PermanentAddrTTL)
	msg := func(to *Node) core.Msg {
		return core.Msg{Txn: &txn.Message{Type: txn.MsgVote, From: a.self, To: to.self, Acceptors: []ring.NodeRef{c.self}}}
	}
	var toB1, toB2, toD []byte
	require.NoError(t, a.do(context.Background(), func(ring.Time) {
		var err error
		toB1, err = a.appendFrameOf(nil, msg(b))
		require.NoError(t, err)
		toB2, err = a.appendFrameOf(nil, msg(b))
		require.NoError(t, err)
		toD, err = a.appendFrameOf(nil, msg(d))
		require.NoError(t, err)
	}))
	require.Greater(t, len(toB1), len(toB2), "the second message to b repeats no hint")
	require.Greater(t, len(toD), len(toB2), "d gets the hint too")

	require.Empty(t, b.host.Peerstore().Addrs(c.host.ID()))
	m, err := b.decodePayload(payloadOf(t, toB1))
	require.NoError(t, err)
	require.Equal(t, c.self.Addr, m.Txn.Acceptors[0].Addr)
	require.ElementsMatch(t, c.host.Addrs(), b.host.Peerstore().Addrs(c.host.ID()), "b learnt c's addresses")
	m, err = b.decodePayload(payloadOf(t, toB2))
	require.NoError(t, err)
	require.Equal(t, c.self.Addr, m.Txn.Acceptors[0].Addr)
}
