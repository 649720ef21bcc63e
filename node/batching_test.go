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
	"github.com/detrans/detrans/txn"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"github.com/stretchr/testify/require"
)

// TestFramesToOnePeerInOneFlushGoTogether: messages one flush sends one peer are handed to its
// writer as one run of frames, in the order they were sent, destinations in first-send order;
// the receiver gets every one of them.
func TestFramesToOnePeerInOneFlushGoTogether(t *testing.T) {
	a, b, c := startNode(t, testConfig(t)), startNode(t, testConfig(t)), startNode(t, testConfig(t))
	a.host.Peerstore().AddAddrs(b.host.ID(), b.host.Addrs(), peerstore.PermanentAddrTTL)
	msg := func(to *Node, seq uint64) core.Msg {
		return core.Msg{Txn: &txn.Message{Type: txn.MsgDecide, From: a.self, To: to.self, Seq: seq, Code: txn.CodeAbort}}
	}
	before := b.Counters().MsgsRecv
	require.NoError(t, a.do(context.Background(), func(ring.Time) {
		a.send(msg(b, 1))
		a.send(msg(c, 2))
		a.send(msg(b, 3))
		a.send(msg(b, 4))
		require.Equal(t, []string{b.host.ID().String(), c.host.ID().String()},
			[]string{a.outOrder[0].String(), a.outOrder[1].String()})
		br := bufio.NewReader(bytes.NewReader(a.outbox[b.host.ID()]))
		for _, want := range []uint64{1, 3, 4} {
			p, err := readFrame(br, nil, maxFrameBytes)
			require.NoError(t, err)
			m, err := b.decodePayload(p)
			require.NoError(t, err)
			require.Equal(t, want, m.Txn.Seq)
		}
		_, err := readFrame(br, nil, maxFrameBytes)
		require.Error(t, err, "three frames and nothing else")
	}))
	eventually(t, 10*time.Second, "b receives the three messages", func() (bool, string) {
		got := b.Counters().MsgsRecv - before
		return got >= 3, fmt.Sprintf("%d received", got)
	})
}

// TestFrameBufferedSeesOnlyWholeFrames: the reader batches a frame only when all of it is
// buffered, so it never blocks on a partial frame while holding decoded messages.
func TestFrameBufferedSeesOnlyWholeFrames(t *testing.T) {
	var stream []byte
	stream = appendFrame(stream, []byte("first"))
	stream = appendFrame(stream, bytes.Repeat([]byte{7}, 300)) // a two-byte length
	whole := len(stream)
	third := appendFrame(nil, []byte("third"))
	stream = append(stream, third[:3]...)

	br := bufio.NewReaderSize(bytes.NewReader(stream), 1024)
	require.False(t, frameBuffered(br), "nothing read yet, nothing buffered")
	p, err := readFrame(br, nil, maxFrameBytes)
	require.NoError(t, err)
	require.Equal(t, "first", string(p))
	require.True(t, frameBuffered(br))
	p, err = readFrame(br, nil, maxFrameBytes)
	require.NoError(t, err)
	require.Len(t, p, 300)
	require.Equal(t, len(stream)-whole, br.Buffered())
	require.False(t, frameBuffered(br), "the third frame is cut short")
}
