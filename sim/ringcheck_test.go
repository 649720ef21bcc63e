package sim

import (
	"fmt"
	"math"
	"testing"

	"github.com/detrans/detrans/ring"
	"github.com/stretchr/testify/require"
)

func nref(hi uint64) ring.NodeRef {
	return ring.NodeRef{ID: ring.ID{Hi: hi}, Addr: fmt.Sprintf("n%d", hi), Inc: 1}
}

// perfectRing builds the states of a correct ring over the given ids (any order).
func perfectRing(his ...uint64) []ring.State {
	sorted := append([]uint64(nil), his...)
	for i := range sorted {
		for j := i + 1; j < len(sorted); j++ {
			if sorted[j] < sorted[i] {
				sorted[i], sorted[j] = sorted[j], sorted[i]
			}
		}
	}
	n := len(sorted)
	var out []ring.State
	for i, h := range sorted {
		out = append(out, ring.State{
			Self:   nref(h),
			Joined: true,
			Pred:   nref(sorted[(i+n-1)%n]),
			Succs:  []ring.NodeRef{nref(sorted[(i+1)%n]), nref(sorted[(i+2)%n])},
		})
	}
	return out
}

// set points node hi's successor and predecessor at the given nodes (0: leave as is).
func set(states []ring.State, hi, succ, pred uint64) {
	for i := range states {
		if states[i].Self.ID.Hi == hi {
			if succ != 0 {
				states[i].Succs = []ring.NodeRef{nref(succ)}
			}
			if pred != 0 {
				states[i].Pred = nref(pred)
			}
		}
	}
}

func TestCheckersAcceptACorrectRing(t *testing.T) {
	st := perfectRing(30, 10, 50, 20, 40)
	require.NoError(t, CheckOneRing(st))
	require.NoError(t, CheckNoTwoOwners(st))
	require.NoError(t, CheckPredecessors(st))
	for key, owner := range map[uint64]uint64{0: 10, 10: 10, 11: 20, 25: 30, 50: 50, 51: 10, math.MaxUint64: 10} {
		require.Equal(t, nref(owner), TrueOwner(st, ring.ID{Hi: key}), "key %d", key)
		require.NoError(t, CheckLookup(st, ring.ID{Hi: key}, nref(owner)))
	}
	require.ErrorContains(t, CheckLookup(st, ring.ID{Hi: 25}, nref(20)), "answered n20")

	// Nodes that are not joined are not part of the ring.
	st = append(st, ring.State{Self: nref(35)})
	require.NoError(t, CheckOneRing(st))
	require.Equal(t, nref(40), TrueOwner(st, ring.ID{Hi: 35}))
}

func TestCheckersWrapAroundZero(t *testing.T) {
	// Ids at both ends of the ring: 0, 2^64, and the very top.
	top := ring.NodeRef{ID: ring.ID{Hi: math.MaxUint64, Lo: math.MaxUint64}, Addr: "top"}
	zero := ring.NodeRef{ID: ring.ID{}, Addr: "zero"}
	mid := ring.NodeRef{ID: ring.ID{Hi: 1}, Addr: "mid"}
	st := []ring.State{
		{Self: top, Joined: true, Pred: mid, Succs: []ring.NodeRef{zero}},
		{Self: zero, Joined: true, Pred: top, Succs: []ring.NodeRef{mid}},
		{Self: mid, Joined: true, Pred: zero, Succs: []ring.NodeRef{top}},
	}
	require.NoError(t, CheckOneRing(st))
	require.NoError(t, CheckNoTwoOwners(st))
	require.NoError(t, CheckPredecessors(st))
	require.Equal(t, zero, TrueOwner(st, ring.ID{}))
	require.Equal(t, mid, TrueOwner(st, ring.ID{Lo: 5}))
	require.Equal(t, top, TrueOwner(st, ring.ID{Hi: math.MaxUint64}))

	// top pointing past zero skips it.
	st[0].Succs = []ring.NodeRef{mid}
	require.ErrorContains(t, CheckOneRing(st), "node top@ffffffff has successor mid@00000000, expected zero@00000000")
}

func TestCheckOneRingFindsTwoRings(t *testing.T) {
	st := perfectRing(10, 20, 30, 40, 50)
	set(st, 10, 30, 0)
	set(st, 30, 50, 0)
	set(st, 50, 10, 0)
	set(st, 20, 40, 0)
	set(st, 40, 20, 0)
	err := CheckOneRing(st)
	require.ErrorContains(t, err, "node n10@00000000 has successor n30@00000000, expected n20@00000000")
	require.ErrorContains(t, err, "4 node(s) with a wrong successor") // 50 -> 10 is right
	require.ErrorContains(t, err, "2 cycle(s)")
	require.ErrorContains(t, err, "[3 2]")
}

func TestCheckOneRingFindsALoopThatSkipsNodes(t *testing.T) {
	st := perfectRing(10, 20, 30, 40, 50)
	set(st, 10, 30, 0) // 20 is skipped
	set(st, 30, 50, 0) // 40 is skipped
	err := CheckOneRing(st)
	require.ErrorContains(t, err, "node n10@00000000 has successor n30")
	require.ErrorContains(t, err, "2 node(s) with a wrong successor")
	require.ErrorContains(t, err, "1 cycle(s)")

	// A successor outside the live set (crashed node) ends the walk.
	st = perfectRing(10, 20, 30)
	set(st, 20, 25, 0)
	err = CheckOneRing(st)
	require.ErrorContains(t, err, "node n20@00000000 has successor n25")
	require.ErrorContains(t, err, "0 cycle(s)")
}

func TestCheckNoTwoOwnersFindsOverlaps(t *testing.T) {
	st := perfectRing(10, 20, 30, 40)
	set(st, 30, 0, 10) // 30 claims (10, 30] although 20 owns (10, 20]
	err := CheckNoTwoOwners(st)
	require.ErrorContains(t, err, "node n30@00000000 owns (00000000, 00000000], which contains node n20")
	require.ErrorContains(t, CheckPredecessors(st), "node n30@00000000 has predecessor n10@00000000, expected n20@00000000")
	require.NoError(t, CheckOneRing(st), "successors are fine")

	// A node that thinks it is alone owns the whole ring.
	st = perfectRing(10, 20, 30)
	set(st, 20, 0, 20)
	require.ErrorContains(t, CheckNoTwoOwners(st), "node n20")

	// A predecessor closer than the true one (here a node that is not live) leaves a gap, not
	// an overlap: fine for ownership, wrong for CheckPredecessors.
	st = perfectRing(10, 20, 30)
	set(st, 30, 0, 25)
	require.NoError(t, CheckNoTwoOwners(st))
	require.Error(t, CheckPredecessors(st))

	// Missing predecessor is reported, and several problems are counted.
	st = perfectRing(10, 20, 30)
	st[0].Pred = ring.NodeRef{}
	st[1].Pred = ring.NodeRef{}
	err = CheckNoTwoOwners(st)
	require.ErrorContains(t, err, "2 problems")
	require.ErrorContains(t, err, "node n10@00000000 has no predecessor")
}

func TestCheckersOnSmallAndBadInput(t *testing.T) {
	alone := []ring.State{{Self: nref(7), Joined: true, Pred: nref(7), Succs: []ring.NodeRef{nref(7)}}}
	require.NoError(t, CheckOneRing(alone))
	require.NoError(t, CheckNoTwoOwners(alone))
	require.NoError(t, CheckPredecessors(alone))
	alone[0].Succs = nil
	require.NoError(t, CheckOneRing(alone))
	require.Equal(t, nref(7), TrueOwner(alone, ring.ID{Hi: 99}))

	require.ErrorContains(t, CheckOneRing(nil), "no joined live node")
	require.ErrorContains(t, CheckNoTwoOwners([]ring.State{{Self: nref(1)}}), "no joined live node")
	require.True(t, TrueOwner(nil, ring.ID{}).IsZero())
	require.ErrorContains(t, CheckLookup(nil, ring.ID{}, nref(1)), "no joined live node")

	dup := perfectRing(10, 20)
	dup = append(dup, dup[0])
	require.ErrorContains(t, CheckOneRing(dup), "share ring id")
	two := perfectRing(10, 20)
	two[1].Self.Addr = two[0].Self.Addr
	require.ErrorContains(t, CheckPredecessors(two), "two states for address")

	// A joined node with no successor in a ring of several.
	st := perfectRing(10, 20)
	st[0].Succs = nil
	require.ErrorContains(t, CheckOneRing(st), "has successor <none>")
}
