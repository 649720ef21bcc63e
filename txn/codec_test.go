package txn

import (
	"bytes"
	"fmt"
	"testing"
	"unsafe"

	"github.com/detrans/detrans/ring"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func genBytes(t *rapid.T, label string, max int) []byte {
	b := rapid.SliceOfN(rapid.Byte(), 0, max).Draw(t, label)
	if len(b) == 0 {
		return nil
	}
	return b
}

func genRef(t *rapid.T, label string) ring.NodeRef {
	return ring.NodeRef{
		ID:   ring.ID{Hi: rapid.Uint64().Draw(t, label+"hi"), Lo: rapid.Uint64().Draw(t, label+"lo")},
		Addr: rapid.StringN(0, 20, 64).Draw(t, label+"addr"),
		Inc:  rapid.Uint64().Draw(t, label+"inc"),
	}
}

func genView(t *rapid.T, label string) View {
	v := View{Group: rapid.IntRange(0, 1<<16).Draw(t, label+"g"), Epoch: rapid.Uint64().Draw(t, label+"e")}
	for range rapid.IntRange(0, 5).Draw(t, label+"n") {
		v.Slots = append(v.Slots, genRef(t, label+"s"))
	}
	return v
}

func genMsg(t *rapid.T) Message {
	m := Message{
		Type: MsgType(rapid.IntRange(1, int(maxMsgType)).Draw(t, "type")),
		From: genRef(t, "from"), To: genRef(t, "to"),
		Seq: rapid.Uint64().Draw(t, "seq"), Group: uint32(rapid.IntRange(0, 1<<16).Draw(t, "g")),
		Epoch: rapid.Uint64().Draw(t, "epoch"), Ballot: rapid.Uint64().Draw(t, "ballot"),
		Code: Code(rapid.IntRange(0, int(CodeBehind)).Draw(t, "code")),
		TM:   genRef(t, "tm"), View: genView(t, "view"), More: rapid.Bool().Draw(t, "more"),
	}
	copy(m.Tx[:], rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, "tx"))
	for range rapid.IntRange(0, 4).Draw(t, "items") {
		it := Item{Key: genBytes(t, "k", 10), Value: genBytes(t, "v", 10), Version: rapid.Uint64().Draw(t, "ver"),
			Deleted: rapid.Bool().Draw(t, "del"), Write: rapid.Bool().Draw(t, "w"), Target: rapid.Uint64().Draw(t, "tg"),
			LockVal: genBytes(t, "lv", 5), LockDel: rapid.Bool().Draw(t, "ld"), LockW: rapid.Bool().Draw(t, "lw"), LockRef: genBytes(t, "lr", 5)}
		copy(it.Lock[:], rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, "lock"))
		m.Items = append(m.Items, it)
	}
	for range rapid.IntRange(0, 4).Draw(t, "votes") {
		m.Votes = append(m.Votes, Vote{Key: genBytes(t, "vk", 10), Replica: rapid.StringN(0, 8, 64).Draw(t, "rep"), Prepared: rapid.Bool().Draw(t, "p"), Ballot: rapid.Uint64().Draw(t, "vb")})
	}
	for range rapid.IntRange(0, 3).Draw(t, "parts") {
		p := Part{Key: genBytes(t, "pk", 10), Group: uint32(rapid.IntRange(0, 1<<16).Draw(t, "pg")), Epoch: rapid.Uint64().Draw(t, "pe")}
		for range rapid.IntRange(0, 3).Draw(t, "pm") {
			p.Members = append(p.Members, rapid.StringN(0, 8, 64).Draw(t, "mem"))
		}
		m.Parts = append(m.Parts, p)
	}
	for range rapid.IntRange(0, 3).Draw(t, "accs") {
		m.Acceptors = append(m.Acceptors, genRef(t, "acc"))
	}
	for range rapid.IntRange(0, 3).Draw(t, "views") {
		m.Views = append(m.Views, genView(t, "vs"))
	}
	return m
}

func TestCodecRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := genMsg(t)
		b, err := m.MarshalBinary()
		require.NoError(t, err)
		var got Message
		require.NoError(t, got.UnmarshalBinary(b))
		require.Equal(t, m, got)
	})
}

func TestCodecRejectsBadInput(t *testing.T) {
	m := Message{Type: MsgPrepare, Items: []Item{{Key: []byte("k"), Value: []byte("v")}}, Parts: []Part{{Key: []byte("k"), Members: []string{"a"}}}}
	good, err := m.MarshalBinary()
	require.NoError(t, err)
	for i := 0; i < len(good); i++ {
		var got Message
		require.ErrorIs(t, got.UnmarshalBinary(good[:i]), ErrMalformed, "truncated at %d", i)
	}
	var got Message
	require.ErrorIs(t, got.UnmarshalBinary(append([]byte{9}, good[1:]...)), ErrMalformed)
	require.ErrorIs(t, got.UnmarshalBinary(append([]byte{1, 99}, good[2:]...)), ErrMalformed)
	require.ErrorIs(t, got.UnmarshalBinary(append(append([]byte{}, good...), 0)), ErrMalformed)
	require.Equal(t, Message{}, got)
}

func FuzzDecode(f *testing.F) {
	for _, m := range []Message{
		{Type: MsgRead, Items: []Item{{Key: []byte("k")}}},
		{Type: MsgVote, Votes: []Vote{{Key: []byte("k"), Replica: "a", Prepared: true}}, Parts: []Part{{Key: []byte("k"), Members: []string{"a", "b"}}}},
		{Type: MsgViews, Views: []View{{Group: 1, Epoch: 2, Slots: []ring.NodeRef{{Addr: "a"}}}}},
	} {
		b, err := m.MarshalBinary()
		require.NoError(f, err)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Message
		if m.UnmarshalBinary(b) != nil {
			return
		}
		again, err := m.MarshalBinary()
		require.NoError(t, err)
		var m2 Message
		require.NoError(t, m2.UnmarshalBinary(again))
		require.Equal(t, m, m2)
	})
}

// AppendBinary encodes after whatever the buffer holds, and the size limit counts only the
// message.
func TestAppendBinaryAppends(t *testing.T) {
	m := Message{Type: MsgVote, From: ring.NodeRef{Addr: "a"}, To: ring.NodeRef{Addr: "b"}, Votes: []Vote{{Key: []byte("k"), Replica: "a", Prepared: true}}}
	want, err := m.MarshalBinary()
	require.NoError(t, err)
	prefix := bytes.Repeat([]byte{7}, MaxMessageSize-len(want)+1) // prefix + message > limit
	got, err := m.AppendBinary(prefix)
	require.NoError(t, err)
	require.Equal(t, want, got[len(prefix):])
	require.Equal(t, prefix, got[:len(prefix)])
}

// Decoded addresses are interned (one string per address) in a table that stays bounded when
// a peer sends ever new ones.
func TestDecodedAddressesAreInternedAndBounded(t *testing.T) {
	var tab internTable
	tab.m = map[string]string{}
	a1 := tab.intern([]byte("12D3KooWpeer"))
	a2 := tab.intern([]byte("12D3KooWpeer"))
	require.Equal(t, "12D3KooWpeer", a1)
	require.Equal(t, unsafe.StringData(a1), unsafe.StringData(a2), "one string for one address")
	require.Equal(t, "", tab.intern(nil))
	for i := range 3 * maxInterned {
		require.Equal(t, fmt.Sprint("p", i), tab.intern(fmt.Appendf(nil, "p%d", i)))
	}
	require.LessOrEqual(t, len(tab.m), maxInterned)
}
