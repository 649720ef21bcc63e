package txn

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A view chosen while none of its members heard the choice (the proposer crashed before its
// VChosen messages left, or they were lost) reaches them only by gossip. They must still
// install it: by pulling from the previous view they hold, as they would have on VChosen.
//
// Regression: storetest TestCrashes seed=169 never settled. Group 6 went from e5 {p4 p1 p0} to
// e6 {p4 p0}; p4 and p0 learnt e6 by gossip only, and each pulled "from e6 itself", i.e. from
// the other, which was not ready at e6 either — for two virtual minutes, while p1's proposal of
// e7 was refused by both as too new.
func TestViewLearntByGossipAloneIsInstalled(t *testing.T) {
	c := newCluster(t, 5, testConfig())
	nodes := []*tnode{c.start("a", true), c.start("b", false), c.start("c", false)}
	c.waitConverged(30 * time.Second)
	const g = 3
	base, ready := nodes[0].m.Installed(g)
	require.True(t, ready)
	require.Len(t, base.Members(), 3)
	require.NoError(t, c.put(nodes[1], keyInGroup(t, nodes[0].m, g), "before"))

	// Every member hears of the next view (same members) from gossip, none from its proposer.
	next := base.Clone()
	next.Epoch++
	for _, n := range nodes {
		n.m.Step(c.now, Message{Type: MsgViews, From: nodes[(len(nodes)-1)%3].ref, To: n.ref, Views: []View{next}})
		c.flush(n)
	}
	c.run(5 * time.Second)
	for _, n := range nodes {
		v, ready := n.m.Installed(g)
		require.Equal(t, next.Epoch, v.Epoch, "%s did not install the view it learnt by gossip", n.name)
		require.True(t, ready, "%s is not ready in the view it learnt by gossip", n.name)
	}
	r := c.get(nodes[2], keyInGroup(t, nodes[0].m, g))
	require.NoError(t, r.Err)
	require.Equal(t, "before", string(r.Value))
}

// keyInGroup finds a key of group g.
func keyInGroup(t *testing.T, m *Machine, g int) string {
	for i := range 100000 {
		if k := "key-" + strconv.Itoa(i); m.Placement().GroupOf([]byte(k)) == g {
			return k
		}
	}
	t.Fatalf("no key of group %d", g)
	return ""
}
