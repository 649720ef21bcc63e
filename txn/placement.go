package txn

import (
	"fmt"
	"math/bits"
	"slices"

	"github.com/detrans/detrans/ring"
)

// Placement maps keys to replica groups and groups to ring positions. The ring is cut into
// Groups equal arcs; a key belongs to the group of the arc its hash falls in. Group g has
// Replicas slots; slot i is owned by the ring owner of anchor(g, i) = start of arc g + i/R of the
// ring. That is symmetric replication (replica i at hash(k) + i·2^128/R) taken at group
// granularity, so a whole group has one view and moves as a unit.
type Placement struct {
	Groups   int // power of two
	Replicas int // R
}

// DefaultPlacement: 64 groups (Riak's default ring size), R = 3.
func DefaultPlacement() Placement { return Placement{Groups: 64, Replicas: 3} }

// Validate checks the parameters.
func (p Placement) Validate() error {
	if p.Groups <= 0 || p.Groups&(p.Groups-1) != 0 || p.Groups > 1<<16 {
		return fmt.Errorf("txn: groups must be a power of two in [1, 65536], got %d", p.Groups)
	}
	if p.Replicas < 1 || p.Replicas > 9 {
		return fmt.Errorf("txn: replicas must be in [1, 9], got %d", p.Replicas)
	}
	return nil
}

// KeyPos is a key's ring position.
func KeyPos(key []byte) ring.ID { return ring.HashKey(key) }

// GroupOf is the group a key belongs to.
func (p Placement) GroupOf(key []byte) int {
	return p.groupAt(KeyPos(key))
}

func (p Placement) groupAt(pos ring.ID) int {
	if p.Groups == 1 {
		return 0
	}
	shift := 64 - bits.TrailingZeros(uint(p.Groups))
	return int(pos.Hi >> shift)
}

// Anchor is the ring position whose owner holds slot i of group g.
func (p Placement) Anchor(g, i int) ring.ID {
	start := ring.Frac(uint64(g), uint64(p.Groups))
	return start.Add(ring.Frac(uint64(i), uint64(p.Replicas)))
}

// Slots returns, for group g, the node each slot should have given the nodes of the ring (any
// order): slot i goes to the first node at or after anchor(g, i) that holds none of the earlier
// slots, so a group has min(R, N) distinct members. It is what views converge to.
func (p Placement) Slots(g int, nodes []ring.NodeRef) []ring.NodeRef {
	out := make([]ring.NodeRef, p.Replicas)
	for i := range out {
		out[i] = firstFree(p.Anchor(g, i), nodes, out[:i])
	}
	return out
}

// firstFree is the first node clockwise from pos (inclusive) not in taken; with none free, the
// owner of pos.
func firstFree(pos ring.ID, nodes []ring.NodeRef, taken []ring.NodeRef) ring.NodeRef {
	sorted := slices.Clone(nodes)
	slices.SortFunc(sorted, func(a, b ring.NodeRef) int {
		// Distance from pos to the node, with pos itself at distance 0.
		return pos.Dist(a.ID).Cmp(pos.Dist(b.ID))
	})
	for _, n := range sorted {
		if !slices.ContainsFunc(taken, func(t ring.NodeRef) bool { return t.Addr == n.Addr }) {
			return n
		}
	}
	if len(sorted) == 0 {
		return ring.NodeRef{}
	}
	return sorted[0]
}

// successorOf is the node whose range (pred, self] holds pos.
func successorOf(pos ring.ID, nodes []ring.NodeRef) ring.NodeRef {
	var best ring.NodeRef
	var bestD ring.ID
	for _, n := range nodes {
		d := pos.Dist(n.ID)
		if best.IsZero() || d.Less(bestD) {
			best, bestD = n, d
		}
	}
	return best
}
