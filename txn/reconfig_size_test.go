package txn

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/detrans/detrans/ring"
	"github.com/stretchr/testify/require"
)

// TestStaleOwnerKeepsGroupSize: a three-way split puts the three members s0, s1, s2 of a group
// on three sides, where s1 (and s2) own every anchor of the group on their side's ring. When
// the network heals before the rings merge, s1's queued change "slot 0 := s1" (or s2's) finds
// a majority. That change must not leave the group with two distinct members: here the other
// remaining member crashes right after it, and a two-member view with one dead member can never
// change again (TestMergeSeeds seeds 152 and 250, issue 4).
func TestStaleOwnerKeepsGroupSize(t *testing.T) { forSeeds(t, testStaleOwnerKeepsGroupSize) }

func testStaleOwnerKeepsGroupSize(t *testing.T, seed uint64) {
	cfg := testConfig()
	c := newCluster(t, seed, cfg)
	names := startEighteen(c)

	g, sides := splitAcrossMembers(t, c, names)
	v, _ := c.nodes[sides[0][0]].m.Installed(g)
	s0, s1, s2 := v.Slots[0].Addr, v.Slots[1].Addr, v.Slots[2].Addr
	c.partition(sides...)
	c.updateRing()
	c.run(5 * time.Second)
	require.Equal(t, v.Epoch, c.nodes[s1].m.View(g).Epoch, "no side holds a majority of group %d", g)

	// The network between s1's and s2's sides heals; the rings have not noticed yet.
	for _, x := range sides[1] {
		for _, y := range sides[2] {
			delete(c.cut, [2]string{x, y})
			delete(c.cut, [2]string{y, x})
		}
	}
	deadline := c.now.Add(10 * time.Second)
	for c.nodes[s1].m.View(g).Epoch == v.Epoch && c.nodes[s2].m.View(g).Epoch == v.Epoch && c.now < deadline {
		c.run(time.Millisecond)
	}
	next := c.nodes[s1].m.View(g)
	if o := c.nodes[s2].m.View(g); o.Epoch > next.Epoch {
		next = o
	}
	require.Greater(t, next.Epoch, v.Epoch, "a view change of group %d once s1 and s2 meet", g)
	require.Len(t, next.Members(), 3, "group %d went from %v to %v: %s, %s and %s are all alive", g, v.Slots, next.Slots, s0, s1, s2)

	// Whichever member other than the proposer remains in the new view dies now.
	victim := s2
	if !next.Has(s2) || next.Slots[0].Addr == s2 {
		victim = s1
	}
	c.heal()
	c.crash(victim)
	c.waitConverged(60 * time.Second)
}

// splitAcrossMembers finds a group whose members s0, s1, s2 (slots 0, 1, 2) can be put on three
// sides such that s1 owns every anchor of the group on its side's ring and so does s2 on its
// side, each of those sides holding at least three nodes (so nobody there proposes a smaller
// group for want of nodes). It returns the group and the sides, s0's side first.
func splitAcrossMembers(t *testing.T, c *cluster, names []string) (int, [][]string) {
	pl := c.cfg.Placement
	ref := func(n string) ring.NodeRef { return c.nodes[n].ref }
	ownsAll := func(g int, owner string, side []string) bool {
		var refs []ring.NodeRef
		for _, n := range side {
			refs = append(refs, ref(n))
		}
		for i := range pl.Replicas {
			if successorOf(pl.Anchor(g, i), refs).Addr != owner {
				return false
			}
		}
		return true
	}
	for g := range pl.Groups {
		v, _ := c.nodes[names[0]].m.Installed(g)
		if len(v.Members()) != 3 {
			continue
		}
		s0, s1, s2 := v.Slots[0].Addr, v.Slots[1].Addr, v.Slots[2].Addr
		sides := [][]string{{s0}, {s1}, {s2}}
		for _, n := range names {
			if n == s0 || n == s1 || n == s2 {
				continue
			}
			switch {
			case ownsAll(g, s1, append(slices.Clone(sides[1]), n)):
				sides[1] = append(sides[1], n)
			case ownsAll(g, s2, append(slices.Clone(sides[2]), n)):
				sides[2] = append(sides[2], n)
			default:
				sides[0] = append(sides[0], n)
			}
		}
		if len(sides[1]) >= 3 && len(sides[2]) >= 3 && ownsAll(g, s1, sides[1]) && ownsAll(g, s2, sides[2]) {
			return g, sides
		}
	}
	t.Fatalf("no group whose members can be split so")
	return 0, nil
}

// TestLoneStaleOwnerKeepsGroupSize: as TestStaleOwnerKeepsGroupSize, but s1 is alone on its
// side, so for it the ring has fewer nodes than a group has slots and the placement lets it hold
// several. When its network heals towards s2's side before the rings merge, s1 may trade slot 0
// with s0 but must not also take slot 1 (and 2), dropping s0 — cut off, yet alive — and leaving
// the group on {s1, s2} or on s1 alone, one crash away from never changing again.
func TestLoneStaleOwnerKeepsGroupSize(t *testing.T) { forSeeds(t, testLoneStaleOwnerKeepsGroupSize) }

func testLoneStaleOwnerKeepsGroupSize(t *testing.T, seed uint64) {
	c := newCluster(t, seed, testConfig())
	names := startEighteen(c)
	g, sides := splitAcrossMembers(t, c, names)
	v, _ := c.nodes[sides[0][0]].m.Installed(g)
	s1 := v.Slots[1].Addr
	sides[0] = append(sides[0], sides[1][1:]...)
	sides[1] = sides[1][:1]
	c.partition(sides...)
	c.updateRing()
	c.run(5 * time.Second)
	for _, y := range sides[2] {
		delete(c.cut, [2]string{s1, y})
		delete(c.cut, [2]string{y, s1})
	}
	for range 500 {
		c.run(10 * time.Millisecond)
		for _, n := range c.live() {
			now := n.m.View(g)
			require.Len(t, now.Members(), 3, "group %d went from %v (epoch %d) to %v (epoch %d)", g, v.Slots, v.Epoch, now.Slots, now.Epoch)
		}
	}
	members := c.nodes[s1].m.View(g).Members()
	c.heal()
	c.crash(members[len(members)-1].Addr)
	c.waitConverged(60 * time.Second)
}

// startEighteen starts a founder and 17 joiners and waits until their views follow the ring.
func startEighteen(c *cluster) []string {
	names := []string{"a"}
	c.start("a", true)
	for i := range 17 {
		name := fmt.Sprint("n", i)
		names = append(names, name)
		c.start(name, false)
	}
	c.waitConverged(60 * time.Second)
	return names
}
