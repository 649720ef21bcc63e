package node

import (
	"testing"

	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/txn"
	"github.com/stretchr/testify/require"
)

// TestGroupsFollowRing checks the outside view of replica placement on hand-made statuses.
func TestGroupsFollowRing(t *testing.T) {
	pl := txn.Placement{Groups: 4, Replicas: 3}
	ids := []string{"00000000000000000000000000000000", "40000000000000000000000000000000", "80000000000000000000000000000000", "c0000000000000000000000000000000"}
	var refs []ring.NodeRef
	var sts []Status
	for i, h := range ids {
		id, err := ring.ParseID(h)
		require.NoError(t, err)
		refs = append(refs, ring.NodeRef{ID: id, Addr: string(rune('a' + i))})
		sts = append(sts, Status{PeerID: refs[i].Addr, RingID: id.String(), Placement: PlacementStatus{Groups: 4, Replicas: 3}})
	}
	for g := range pl.Groups {
		want := pl.Slots(g, refs)
		slots := addrsOf(want)
		for _, w := range want {
			for i := range sts {
				if sts[i].PeerID == w.Addr && (len(sts[i].Groups) == 0 || sts[i].Groups[len(sts[i].Groups)-1].Group != g) {
					sts[i].Groups = append(sts[i].Groups, GroupStatus{Group: g, Epoch: 2, Ready: true, Slots: slots})
				}
			}
		}
	}
	ok, why := GroupsFollowRing(sts)
	require.True(t, ok, why)

	var holder int
	for i := range sts {
		if len(sts[i].Groups) > 0 {
			holder = i
			break
		}
	}
	sts[holder].Groups[0].Ready = false
	ok, why = GroupsFollowRing(sts)
	require.False(t, ok)
	require.Contains(t, why, "not ready")

	sts[holder].Groups[0].Ready = true
	sts[holder].Groups[0].Slots = []string{"x", "y", "z"}
	ok, why = GroupsFollowRing(sts)
	require.False(t, ok)
	require.Contains(t, why, "slot")

	sts[holder].Groups = nil
	ok, why = GroupsFollowRing(sts)
	require.False(t, ok)
	require.Contains(t, why, "has no view")

	ok, _ = GroupsFollowRing(nil)
	require.False(t, ok)
}
