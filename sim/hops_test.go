package sim

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/detrans/detrans/ring"
	"github.com/stretchr/testify/require"
)

// Lookup path length on a converged ring (issue 2): the average number of forwarding hops of a
// lookup must stay within ½·log2 N + 1. A hop is one forward of the lookup message (origin to
// next node, ..., to the owner); the owner's reply is not counted, and a lookup the origin
// answers itself has 0 hops.

// hopRow is one line of the table.
type hopRow struct {
	n            int
	lookups      int
	avg          float64
	p99, max     int
	bound        float64
	fingersExact int // nodes whose distinct fingers are exactly the true owners of their offsets
}

func (r hopRow) pass() bool { return r.avg <= r.bound }

func hopTable(rows []hopRow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%6s %8s %9s %5s %5s %13s %14s  %s\n", "N", "lookups", "avg hops", "p99", "max", "½·log2 N + 1", "fingers exact", "result")
	for _, r := range rows {
		res := "pass"
		if !r.pass() {
			res = "FAIL"
		}
		fmt.Fprintf(&b, "%6d %8d %9.2f %5d %5d %13.1f %14s  %s\n", r.n, r.lookups, r.avg, r.p99, r.max, r.bound, fmt.Sprintf("%d/%d", r.fingersExact, r.n), res)
	}
	return b.String()
}

// convergedRing starts n nodes within n·10 ms of virtual time (each through 3 nodes started
// before it) on a clean LAN link, waits for one healthy ring, then for 3 finger periods so that
// every node has run finger rounds on the final ring.
func convergedRing(tb testing.TB, n int, seed int64) *ringWorld {
	w := newRingWorld(tb, seed, false, Link{Latency: 5 * time.Millisecond, Jitter: 2 * time.Millisecond})
	window := time.Duration(n) * 10 * time.Millisecond
	w.startMany(n, window)
	w.s.RunFor(window)
	w.waitHealthy(5 * time.Minute)
	w.s.RunFor(3 * ring.DefaultConfig().FingerPeriod)
	require.NoError(tb, ringHealthy(w.s))
	return w
}

// fingersExact counts the nodes whose distinct finger entries are exactly the true owners of
// self + 2^127, 2^126, ..., 2^66 (the default Chord offsets: ring/fingers.go stops at 2^66),
// themselves excepted.
func fingersExact(states []ring.State) int {
	v, err := newRingView(states)
	if err != nil {
		return 0
	}
	owner := func(key ring.ID) ring.NodeRef {
		i, _ := slices.BinarySearchFunc(v.nodes, key, func(s ring.State, k ring.ID) int { return s.Self.ID.Cmp(k) })
		return v.nodes[i%len(v.nodes)].Self
	}
	exact := 0
	for _, st := range v.nodes {
		var want []ring.NodeRef
		for k := uint(66); k <= 127; k++ {
			o := owner(st.Self.ID.Add(ring.Pow2(k)))
			if o.Addr != st.Self.Addr && !slices.ContainsFunc(want, func(r ring.NodeRef) bool { return r.Addr == o.Addr }) {
				want = append(want, o)
			}
		}
		got := st.FingerNodes
		if len(got) == len(want) && !slices.ContainsFunc(want, func(r ring.NodeRef) bool {
			return !slices.ContainsFunc(got, func(g ring.NodeRef) bool { return same(g, r) })
		}) {
			exact++
		}
	}
	return exact
}

// measureHops runs batches of lookups of random keys from random nodes on w (one per call of
// more) and summarizes their hop counts. Every lookup must be answered, by the true owner.
func measureHops(tb testing.TB, w *ringWorld, n, perBatch int, more func() bool) hopRow {
	var hops []int
	for more() {
		rs := w.lookupBatch(perBatch, 20*time.Second)
		require.Zero(tb, countFailed(rs), "N=%d: lookups failed on a converged ring", n)
		for _, r := range rs {
			hops = append(hops, r.hops)
		}
	}
	slices.Sort(hops)
	sum := 0
	for _, h := range hops {
		sum += h
	}
	return hopRow{
		n:            n,
		lookups:      len(hops),
		avg:          float64(sum) / float64(len(hops)),
		p99:          hops[int(math.Ceil(0.99*float64(len(hops))))-1],
		max:          hops[len(hops)-1],
		bound:        0.5*math.Log2(float64(n)) + 1,
		fingersExact: fingersExact(ringStates(w.s)),
	}
}

// BenchmarkLookupHops prints the hop table for N ∈ {64, 256, 1024} and reports the average and
// p99 hops as metrics. Each b.Loop iteration is a batch of 2000 lookups; the ring is built once.
//
//	go test -run '^$' -bench BenchmarkLookupHops -benchtime 1x ./sim/
func BenchmarkLookupHops(b *testing.B) {
	var rows []hopRow
	for _, n := range []int{64, 256, 1024} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			w := convergedRing(b, n, 1)
			row := measureHops(b, w, n, 2000, b.Loop)
			b.ReportMetric(row.avg, "avg-hops")
			b.ReportMetric(float64(row.p99), "p99-hops")
			b.ReportMetric(row.bound, "bound-hops")
			rows = append(rows, row)
			if !row.pass() {
				b.Errorf("N=%d: average %.2f hops > ½·log2 N + 1 = %.1f", n, row.avg, row.bound)
			}
		})
	}
	// Printed, not logged: a parent benchmark's log shows only with -v.
	fmt.Printf("lookup hops on a converged ring (Chord fingers, FingerBase 2):\n%s", hopTable(rows))
}

// TestLookupHopsBound checks the same bound in CI on the two smaller rings (1000 lookups each).
func TestLookupHopsBound(t *testing.T) {
	var rows []hopRow
	for _, n := range []int{64, 256} {
		w := convergedRing(t, n, 2)
		once := true
		rows = append(rows, measureHops(t, w, n, 1000, func() bool { r := once; once = false; return r }))
	}
	t.Logf("\n%s", hopTable(rows))
	for _, r := range rows {
		require.True(t, r.pass(), "N=%d: average %.2f hops > %.1f", r.n, r.avg, r.bound)
	}
}
