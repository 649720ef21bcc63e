package ring

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func genRef(t *rapid.T, label string) NodeRef {
	if rapid.Bool().Draw(t, label+"-zero") {
		return NodeRef{}
	}
	return NodeRef{
		ID:   ID{Hi: rapid.Uint64().Draw(t, label+"-hi"), Lo: rapid.Uint64().Draw(t, label+"-lo")},
		Addr: rapid.StringN(1, 60, maxAddrLen).Draw(t, label+"-addr"),
		Inc:  rapid.Uint64().Draw(t, label+"-inc"),
	}
}

func genMessage(t *rapid.T) Message {
	m := Message{
		Type:   MsgType(rapid.IntRange(1, int(maxMsgType)).Draw(t, "type")),
		From:   NodeRef{ID: HashKey([]byte("f")), Addr: "from", Inc: rapid.Uint64().Draw(t, "finc")},
		To:     NodeRef{ID: HashKey([]byte("t")), Addr: "to"},
		Seq:    rapid.Uint64().Draw(t, "seq"),
		Key:    ID{Hi: rapid.Uint64().Draw(t, "khi"), Lo: rapid.Uint64().Draw(t, "klo")},
		Hops:   uint32(rapid.IntRange(0, 1<<20).Draw(t, "hops")),
		Origin: genRef(t, "origin"),
		Node:   genRef(t, "node"),
		Sent:   Time(rapid.Int64().Draw(t, "sent")),
		Final:  rapid.Bool().Draw(t, "final"),
	}
	for i := range rapid.IntRange(0, maxNodes).Draw(t, "nodes") {
		r := genRef(t, "n")
		if r.IsZero() {
			r.Addr = "x"
		}
		r.Inc += uint64(i)
		m.Nodes = append(m.Nodes, r)
	}
	return m
}

func TestCodecRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := genMessage(t)
		b, err := m.MarshalBinary()
		require.NoError(t, err)
		var got Message
		require.NoError(t, got.UnmarshalBinary(b))
		require.Equal(t, m, got)
	})
}

func TestCodecRejectsBadInput(t *testing.T) {
	m := Message{Type: MsgStabReply, From: ref("a", 1), To: ref("b", 2), Node: ref("c", 3), Nodes: []NodeRef{ref("d", 1)}}
	good, err := m.MarshalBinary()
	require.NoError(t, err)
	cases := map[string][]byte{
		"empty":         nil,
		"bad version":   append([]byte{9}, good[1:]...),
		"unknown type":  append([]byte{good[0], 200}, good[2:]...),
		"unknown bits":  append([]byte{good[0], good[1], 0x80}, good[3:]...),
		"trailing":      append(append([]byte{}, good...), 0),
		"oversized":     make([]byte, MaxMessageSize+1),
		"huge addr len": append(append([]byte{}, good[:3+16]...), 0xff, 0xff, 0x03),
	}
	for i := 1; i < len(good); i++ {
		cases["truncated"+string(rune('0'+i%10))] = good[:i]
	}
	for name, b := range cases {
		var got Message
		err := got.UnmarshalBinary(b)
		require.Error(t, err, name)
		require.ErrorIs(t, err, ErrMalformed, name)
		require.Equal(t, Message{}, got, "%s: a failed decode leaves the message untouched", name)
	}
	_, err = (&Message{Type: 0}).MarshalBinary()
	require.Error(t, err)
	_, err = (&Message{Type: MsgPing, Nodes: make([]NodeRef, maxNodes+1)}).MarshalBinary()
	require.Error(t, err)
}

// FuzzDecode: no input may panic the decoder, and whatever decodes re-encodes to the same bytes.
func FuzzDecode(f *testing.F) {
	for _, m := range []Message{
		{Type: MsgPing, From: ref("a", 1), To: ref("b", 1), Sent: 42},
		{Type: MsgJoinAck, From: ref("a", 1), To: ref("b", 1), Node: ref("c", 2), Nodes: []NodeRef{ref("d", 1), ref("e", 5)}},
		{Type: MsgLookup, From: ref("a", 1), To: ref("b", 1), Key: HashKey([]byte("k")), Origin: ref("o", 1), Hops: 3, Final: true},
	} {
		b, err := m.MarshalBinary()
		require.NoError(f, err)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Message
		if err := m.UnmarshalBinary(b); err != nil {
			return
		}
		again, err := m.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		var m2 Message
		if err := m2.UnmarshalBinary(again); err != nil {
			t.Fatalf("re-encoded message does not decode: %v", err)
		}
		require.Equal(t, m, m2)
	})
}
