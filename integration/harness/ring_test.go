package harness

import (
	"fmt"
	"testing"

	"github.com/detrans/detrans/node"
	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/txn"
	"github.com/stretchr/testify/require"
)

// ringOf returns the statuses of a correct ring of peers with the given ring positions.
func ringOf(ids ...ring.ID) []node.Status {
	sts := make([]node.Status, len(ids))
	for i, id := range ids {
		sts[i] = node.Status{PeerID: fmt.Sprintf("peer%d", i), RingID: id.String(), Joined: true}
	}
	for i := range sts {
		sts[i].Successors = []string{sts[(i+1)%len(sts)].PeerID}
		sts[i].Predecessor = sts[(i+len(sts)-1)%len(sts)].PeerID
	}
	return sts
}

func TestOneRing(t *testing.T) {
	sts := ringOf(ring.ID{Lo: 1}, ring.ID{Lo: 5}, ring.ID{Hi: 7})
	ok, why := OneRing(sts)
	require.True(t, ok, why)
	// Order of input does not matter.
	ok, why = OneRing([]node.Status{sts[2], sts[0], sts[1]})
	require.True(t, ok, why)

	broken := ringOf(ring.ID{Lo: 1}, ring.ID{Lo: 5}, ring.ID{Hi: 7})
	broken[0].Successors = []string{"peer2"}
	ok, why = OneRing(broken)
	require.False(t, ok)
	require.Contains(t, why, "want peer1 first")

	broken = ringOf(ring.ID{Lo: 1}, ring.ID{Lo: 5})
	broken[1].Predecessor = ""
	ok, _ = OneRing(broken)
	require.False(t, ok)

	broken = ringOf(ring.ID{Lo: 1})
	broken[0].Joined = false
	ok, why = OneRing(broken)
	require.False(t, ok)
	require.Contains(t, why, "not joined")
}

func TestNoReferences(t *testing.T) {
	sts := ringOf(ring.ID{Lo: 1}, ring.ID{Lo: 5})
	ok, _ := NoReferences(sts, map[string]bool{"peer9": true})
	require.True(t, ok)
	sts[0].Successors = append(sts[0].Successors, "peer9")
	ok, why := NoReferences(sts, map[string]bool{"peer9": true})
	require.False(t, ok)
	require.Contains(t, why, "peer9")
}

func TestOwnerOf(t *testing.T) {
	k := ring.HashKey([]byte("k"))
	one := ring.ID{Lo: 1}
	before, after := k.Sub(one), k.Add(one)
	sts := ringOf(before, after, k.Add(ring.ID{Lo: 100}))
	got, err := OwnerOf(sts, "k")
	require.NoError(t, err)
	require.Equal(t, "peer1", got, "first peer at or after the key")

	sts = ringOf(k, after)
	got, err = OwnerOf(sts, "k")
	require.NoError(t, err)
	require.Equal(t, "peer0", got, "a peer at exactly the key's position owns it")

	sts = ringOf(before, before.Sub(one))
	got, err = OwnerOf(sts, "k")
	require.NoError(t, err)
	require.Equal(t, "peer1", got, "wraps around to the lowest position")
}

func TestParseReady(t *testing.T) {
	r, err := parseReady("detrans-node ready peer_id=P api=127.0.0.1:5 addrs=/a/p2p/P,/b/p2p/P")
	require.NoError(t, err)
	require.Equal(t, Ready{PeerID: "P", API: "127.0.0.1:5", Addrs: []string{"/a/p2p/P", "/b/p2p/P"}}, r)
	_, err = parseReady("time=... level=INFO msg=hello")
	require.Error(t, err)
	_, err = parseReady("detrans-node ready peer_id=P")
	require.ErrorContains(t, err, "incomplete")
}

// TestGroupSlotsTakesTheNewestView: a peer dropped from a group may still report the view it
// last installed; the slots come from the newest view whichever peer reports it first.
func TestGroupSlotsTakesTheNewestView(t *testing.T) {
	pl := txn.DefaultPlacement()
	g := pl.GroupOf([]byte("k"))
	sts := []node.Status{
		{PeerID: "old", Placement: node.PlacementStatus{Groups: pl.Groups, Replicas: pl.Replicas},
			Groups: []node.GroupStatus{{Group: g, Epoch: 3, Slots: []string{"old", "a", "b"}}}},
		{PeerID: "a", Groups: []node.GroupStatus{{Group: g, Epoch: 5, Slots: []string{"c", "a", "b"}}}},
		{PeerID: "c", Groups: []node.GroupStatus{{Group: g, Epoch: 5, Slots: []string{"c", "a", "b"}}, {Group: g + 1, Epoch: 2, Slots: []string{"c"}}}},
	}
	slots, err := GroupSlots(sts, "k")
	require.NoError(t, err)
	require.Equal(t, []string{"c", "a", "b"}, slots)
	views := NewestViews(sts)
	require.Len(t, views, 2)
	require.Equal(t, []string{"c"}, views[g+1])
}
