package sim

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/detrans/detrans/ring"
)

// The ring checkers take snapshots of the live nodes (the caller leaves out crashed ones) and
// judge the joined ones against the true ring: the joined nodes sorted by ID. Node references
// match when Addr and ID match; the incarnation is not compared.

// ringView is the true ring: joined states sorted by ID, with an index by address.
type ringView struct {
	nodes []ring.State
	pos   map[string]int
}

func newRingView(states []ring.State) (*ringView, error) {
	v := &ringView{pos: map[string]int{}}
	for _, s := range states {
		if s.Joined {
			v.nodes = append(v.nodes, s)
		}
	}
	if len(v.nodes) == 0 {
		return nil, errors.New("no joined live node")
	}
	slices.SortFunc(v.nodes, func(a, b ring.State) int { return a.Self.ID.Cmp(b.Self.ID) })
	for i, s := range v.nodes {
		if i > 0 && v.nodes[i-1].Self.ID == s.Self.ID {
			return nil, fmt.Errorf("nodes %s and %s share ring id %s", v.nodes[i-1].Self.Addr, s.Self.Addr, s.Self.ID)
		}
		if _, dup := v.pos[s.Self.Addr]; dup {
			return nil, fmt.Errorf("two states for address %s", s.Self.Addr)
		}
		v.pos[s.Self.Addr] = i
	}
	return v, nil
}

func (v *ringView) succ(i int) ring.NodeRef { return v.nodes[(i+1)%len(v.nodes)].Self }
func (v *ringView) pred(i int) ring.NodeRef {
	return v.nodes[(i+len(v.nodes)-1)%len(v.nodes)].Self
}

func same(a, b ring.NodeRef) bool { return a.Addr == b.Addr && a.ID == b.ID }

func ref(r ring.NodeRef) string {
	if r.IsZero() {
		return "<none>"
	}
	return r.Addr + "@" + r.ID.Short()
}

// CheckOneRing checks that following Succs[0] from any joined node visits every joined node
// exactly once in increasing ring-id order (wrapping at zero) and comes back. A node alone may
// have itself or nothing as successor.
func CheckOneRing(states []ring.State) error {
	v, err := newRingView(states)
	if err != nil {
		return fmt.Errorf("one ring: %w", err)
	}
	var first string
	bad := 0
	for i, s := range v.nodes {
		want := v.succ(i)
		var got ring.NodeRef
		if len(s.Succs) > 0 {
			got = s.Succs[0]
		} else if len(v.nodes) == 1 {
			got = s.Self
		}
		if same(got, want) {
			continue
		}
		if bad == 0 {
			first = fmt.Sprintf("node %s has successor %s, expected %s", ref(s.Self), ref(got), ref(want))
		}
		bad++
	}
	if bad == 0 {
		return nil
	}
	cycles, sizes := v.cycles()
	return fmt.Errorf("not one ring of %d joined nodes: %s; %d node(s) with a wrong successor; %d cycle(s) of successor pointers (sizes %v)",
		len(v.nodes), first, bad, cycles, sizes)
}

// cycles counts the cycles of the successor graph among joined nodes (pointers to nodes
// outside the set end a path).
func (v *ringView) cycles() (int, []int) {
	n := len(v.nodes)
	next := make([]int, n)
	for i, s := range v.nodes {
		next[i] = -1
		if len(s.Succs) > 0 {
			if j, ok := v.pos[s.Succs[0].Addr]; ok && v.nodes[j].Self.ID == s.Succs[0].ID {
				next[i] = j
			}
		}
	}
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]int, n)
	var sizes []int
	for start := range n {
		var path []int
		i := start
		for i >= 0 && state[i] == unseen {
			state[i] = onPath
			path = append(path, i)
			i = next[i]
		}
		if i >= 0 && state[i] == onPath { // closed a new cycle at i
			k := slices.Index(path, i)
			sizes = append(sizes, len(path)-k)
		}
		for _, p := range path {
			state[p] = done
		}
	}
	return len(sizes), sizes
}

// CheckNoTwoOwners checks that the ranges (Pred.ID, Self.ID] of the joined nodes do not
// overlap, i.e. no key has two nodes that think they own it. A joined node without a
// predecessor is reported.
func CheckNoTwoOwners(states []ring.State) error {
	v, err := newRingView(states)
	if err != nil {
		return fmt.Errorf("no two owners: %w", err)
	}
	var problems []string
	for i, s := range v.nodes {
		if s.Pred.IsZero() {
			problems = append(problems, fmt.Sprintf("node %s has no predecessor", ref(s.Self)))
			continue
		}
		if len(v.nodes) == 1 {
			continue
		}
		// Two arcs ending at distinct ids overlap iff one contains the other's end; the first
		// end counter-clockwise from s is its true predecessor's.
		prev := v.pred(i)
		if ring.Between(s.Pred.ID, prev.ID, s.Self.ID) {
			problems = append(problems, fmt.Sprintf("node %s owns (%s, %s], which contains node %s's id",
				ref(s.Self), s.Pred.ID.Short(), s.Self.ID.Short(), ref(prev)))
		}
	}
	return summarize("two owners", problems)
}

// CheckPredecessors checks that every joined node's Pred is its true predecessor among the
// joined nodes (itself when alone).
func CheckPredecessors(states []ring.State) error {
	v, err := newRingView(states)
	if err != nil {
		return fmt.Errorf("predecessors: %w", err)
	}
	var problems []string
	for i, s := range v.nodes {
		if want := v.pred(i); !same(s.Pred, want) {
			problems = append(problems, fmt.Sprintf("node %s has predecessor %s, expected %s", ref(s.Self), ref(s.Pred), ref(want)))
		}
	}
	return summarize("wrong predecessor", problems)
}

// TrueOwner is the successor of key among the joined nodes: the node n with key in
// (pred(n), n]. Zero if no node is joined.
func TrueOwner(states []ring.State, key ring.ID) ring.NodeRef {
	v, err := newRingView(states)
	if err != nil {
		return ring.NodeRef{}
	}
	i, _ := slices.BinarySearchFunc(v.nodes, key, func(s ring.State, k ring.ID) int { return s.Self.ID.Cmp(k) })
	return v.nodes[i%len(v.nodes)].Self
}

// CheckLookup checks that answered is the true owner of key.
func CheckLookup(states []ring.State, key ring.ID, answered ring.NodeRef) error {
	owner := TrueOwner(states, key)
	if owner.IsZero() {
		return fmt.Errorf("lookup %s: no joined live node", key.Short())
	}
	if !same(owner, answered) {
		return fmt.Errorf("lookup %s answered %s, true owner %s", key.Short(), ref(answered), ref(owner))
	}
	return nil
}

func summarize(what string, problems []string) error {
	switch len(problems) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("%s: %s", what, problems[0])
	}
	shown := problems[:min(len(problems), 3)]
	return fmt.Errorf("%s: %d problems: %s", what, len(problems), strings.Join(shown, "; "))
}
