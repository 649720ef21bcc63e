package ring

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A partition that takes a node's whole successor list: the run of dead successors is
// suspected and removed together (the rest of the list is pinged as soon as the first is
// suspected), not one after the other, and the node falls back to the nodes it knows of beyond
// them and finds its successor on its side.
func TestCutOffSuccessorsAreRemovedTogether(t *testing.T) {
	w := newNet(t, 3)
	w.grow(24)
	require.NoError(t, ringOK(w.live()))

	a := w.nodes["n0"]
	gone := map[string]bool{}
	for _, s := range a.State().Succs {
		gone[s.Addr] = true
	}
	require.Len(t, gone, 8)
	// The successors are cut from n0 only (they still see each other and everyone else).
	w.cut = func(from, to string) bool {
		return (from == "n0" && gone[to]) || (to == "n0" && gone[from])
	}
	start := w.now
	var took time.Duration
	for w.now.Sub(start) < time.Minute {
		w.run(100 * time.Millisecond)
		if s := a.succ(); s.Addr != "n0" && !gone[s.Addr] {
			took = w.now.Sub(start)
			break
		}
	}
	require.NotZero(t, took, "n0 found no live successor: %v", addrs(a.State().Succs))
	// One after the other, each removal took 2 probe timeouts and a suspicion period, all
	// stretched by a local health score raised by the misses before: over a minute for 8.
	require.Less(t, took, 15*time.Second, "the run of dead successors removed together")
	var passive []string
	for _, e := range a.State().Passive {
		passive = append(passive, e.Node.Addr)
	}
	for g := range gone {
		require.Contains(t, passive, g, "a cut-off successor goes to the passive list")
	}
	require.Zero(t, a.fd.health, "the backups' misses do not count against our own health")
	t.Logf("live successor %v after the cut", took)
}

// The nodes recently heard from are kept (bounded), with the origin of routed requests.
func TestHeardIsBounded(t *testing.T) {
	n := New(testCfg(), ref("a", 1), 1)
	n.Bootstrap(0, nil)
	for i := range 100 {
		n.Step(Time(i), Message{Type: MsgPing, From: ref(fmt.Sprint("p", i), 1), To: n.self})
	}
	n.Step(100, Message{Type: MsgLookup, From: ref("p99", 1), To: n.self, Origin: ref("origin", 1), Key: HashKey([]byte("k"))})
	h := n.Heard()
	require.Len(t, h, maxHeard)
	var got []string
	for _, r := range h {
		got = append(got, r.Addr)
	}
	require.Contains(t, got, "origin")
	require.Contains(t, got, "p99")
	require.NotContains(t, got, "p0", "the oldest entries give way")
	require.False(t, slices.Contains(got, "a"), "not ourselves")
}

// A node cut off from every node of its tables (successors, predecessors, fingers) is not left
// alone if it heard from another node lately: it falls back to that node and stabilisation
// walks from there to a successor it can reach.
func TestFallbackToNodesHeardFrom(t *testing.T) {
	w := newNet(t, 5)
	w.grow(32)
	require.NoError(t, ringOK(w.live()))
	a := w.nodes["n0"]
	st := a.State()
	gone := map[string]bool{}
	for _, l := range [][]NodeRef{st.Succs, st.Preds, st.FingerNodes} {
		for _, r := range l {
			gone[r.Addr] = true
		}
	}
	var other string
	for _, name := range w.order {
		if name != "n0" && !gone[name] {
			other = name
			break
		}
	}
	require.NotEmpty(t, other, "some node outside n0's tables")
	a.heard = nil
	a.noteHeard(w.nodes[other].self) // as if it had just sent us a message
	w.cut = func(from, to string) bool {
		return (from == "n0" && gone[to]) || (to == "n0" && gone[from])
	}
	ok := false
	for range 600 {
		w.run(100 * time.Millisecond)
		if s := a.succ(); s.Addr != "n0" && !gone[s.Addr] && len(a.fd.suspects()) == 0 {
			ok = true
			break
		}
	}
	require.True(t, ok, "n0 found no successor it can reach: %v", addrs(a.State().Succs))
	// (Which one depends on the others: they still see the nodes n0 lost, so the walk stops
	// where a successor's predecessor is one of those.)
	t.Logf("n0's successor %s, after falling back to %s", a.succ().Addr, other)
}

// grow starts n0 .. n(count-1), each joining through n0 100 ms after the one before, and lets
// the ring settle for 30 s.
func (w *net) grow(count int) {
	for i := range count {
		name := fmt.Sprint("n", i)
		if i == 0 {
			w.add(name, 1)
		} else {
			w.add(name, 1, "n0")
		}
		w.run(100 * time.Millisecond)
	}
	w.run(30 * time.Second)
}
