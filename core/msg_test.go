package core

import (
	"testing"

	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/txn"
	"github.com/stretchr/testify/require"
)

func samples() []Msg {
	a := ring.NodeRef{ID: ring.HashKey([]byte("a")), Addr: "a", Inc: 1}
	b := ring.NodeRef{ID: ring.HashKey([]byte("b")), Addr: "b", Inc: 2}
	return []Msg{
		{Ring: &ring.Message{Type: ring.MsgPing, From: a, To: b, Sent: 5}},
		{Ring: &ring.Message{Type: ring.MsgJoinAck, From: a, To: b, Node: a, Nodes: []ring.NodeRef{b}}},
		{Txn: &txn.Message{Type: txn.MsgRead, From: a, To: b, Seq: 3, Items: []txn.Item{{Key: []byte("k")}}}},
		{Txn: &txn.Message{Type: txn.MsgVote, From: a, To: b, Votes: []txn.Vote{{Key: []byte("k"), Replica: "a", Prepared: true}}}},
	}
}

func TestMsgRoundTrip(t *testing.T) {
	for _, m := range samples() {
		b, err := m.MarshalBinary()
		require.NoError(t, err)
		got, err := Decode(b)
		require.NoError(t, err)
		require.Equal(t, m, got)
		require.Equal(t, m.Src(), got.Src())
		require.Equal(t, m.Dst(), got.Dst())
		require.NotEqual(t, "none", got.Kind())
	}
}

func TestMsgRejectsBadInput(t *testing.T) {
	_, err := Msg{}.MarshalBinary()
	require.Error(t, err)
	for name, b := range map[string][]byte{
		"empty":         nil,
		"unknown layer": {9, 1, 2},
		"bad ring":      {byte(LayerRing), 1, 200},
		"bad txn":       {byte(LayerTxn), 7},
	} {
		_, err := Decode(b)
		require.ErrorIs(t, err, ErrMalformed, name)
	}
}

func FuzzDecode(f *testing.F) {
	for _, m := range samples() {
		b, err := m.MarshalBinary()
		require.NoError(f, err)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		again, err := m.MarshalBinary()
		require.NoError(t, err)
		m2, err := Decode(again)
		require.NoError(t, err)
		require.Equal(t, m, m2)
	})
}
