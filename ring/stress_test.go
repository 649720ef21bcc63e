package ring

import (
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var traceFlag = flag.String("ring.trace", "", "print messages of this node in the final phase")
var stressSeeds = flag.Int("ring.seeds", 20, "seeds for the ring stress test")

// TestChurnStress: joins, crashes, restarts and leaves at random, then quiet; the ring must be
// exact again and lookups answered by the true owner. The churn is heavy for rings of 8–40 nodes
// (a tenth of the steps crash a node); much heavier churn can cut a few nodes off into a ring of
// their own, which only the partition layer's merge repairs.
func TestChurnStress(t *testing.T) {
	for seed := uint64(1); seed <= uint64(*stressSeeds); seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			w := newNet(t, seed*7919)
			w.add("n0", 1)
			next := 1
			incs := map[string]uint64{"n0": 1}
			for step := 0; step < 60; step++ {
				live := w.live()
				switch r := w.rng.IntN(10); {
				case r < 6 || len(live) < 8:
					name := fmt.Sprint("n", next)
					next++
					incs[name] = 1
					w.add(name, 1, w.contacts(3)...)
				case r < 7:
					victim := live[w.rng.IntN(len(live))]
					w.crash(victim.self.Addr)
				case r < 8:
					victim := live[w.rng.IntN(len(live))]
					victim.Leave(w.now)
					w.flush(victim.self.Addr)
				default:
					// restart a crashed node with a new incarnation
					for _, name := range w.order {
						if w.dead[name] {
							incs[name]++
							w.add(name, incs[name], w.contacts(3)...)
							break
						}
					}
				}
				w.run(time.Duration(w.rng.IntN(2000)) * time.Millisecond)
			}
			w.run(30 * time.Second)
			// A joiner whose every contact died meanwhile gets fresh ones, as the node driver
			// gives it from the DHT or mDNS.
			for _, n := range w.live() {
				if !n.joined {
					var cs []NodeRef
					for _, c := range w.live() {
						if c.joined && len(cs) < 3 {
							cs = append(cs, c.self)
						}
					}
					n.Bootstrap(w.now, cs)
					w.flush(n.self.Addr)
				}
			}
			if *traceFlag != "" {
				traceJoin = *traceFlag
				defer func() { traceJoin = "" }()
			}
			w.run(30 * time.Second)
			live := w.live()
			require.NoError(t, ringOK(live), "seed %d\n%s", seed, w.dump())
			for i := range 20 {
				key := HashKey([]byte(fmt.Sprint("key", i)))
				e := w.lookup(live[w.rng.IntN(len(live))], key)
				require.Equal(t, EvLookupDone, e.Kind)
				require.Equal(t, trueOwner(live, key).Addr, e.Node.Addr)
			}
		})
	}
}

// contacts picks k random live nodes (a joiner knows several peers, as a ticket lists several).
func (w *net) contacts(k int) []string {
	live := w.live()
	var out []string
	for range k {
		out = append(out, live[w.rng.IntN(len(live))].self.Addr)
	}
	return out
}
