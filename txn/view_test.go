package txn

import (
	"testing"

	"github.com/detrans/detrans/ring"
	"github.com/stretchr/testify/require"
)

// Quorum counts distinct members in place; it must agree with Members for every shape of view:
// a node in several slots (small rings), empty slots, one slot.
func TestQuorumCountsDistinctMembers(t *testing.T) {
	a, b, c := ring.NodeRef{Addr: "a"}, ring.NodeRef{Addr: "b"}, ring.NodeRef{Addr: "c"}
	for _, slots := range [][]ring.NodeRef{
		{a, b, c}, {a, a, a}, {a, b, a}, {a, {}, b}, {{}, {}, {}}, {a}, {a, b, c, b, a}, {b, b, c, c, a},
	} {
		v := View{Epoch: 1, Slots: slots}
		require.Equal(t, len(v.Members())/2+1, v.Quorum(), "%v", addrs(slots))
	}
}
