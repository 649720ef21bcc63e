package ring

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestAloneFormsRingOfOne(t *testing.T) {
	w := newNet(t, 1)
	a := w.add("a", 1)
	w.run(3 * time.Second)
	st := a.State()
	require.True(t, st.Joined)
	require.Equal(t, "a", st.Succs[0].Addr)
	require.Equal(t, "a", st.Pred.Addr)
	e := w.lookup(a, HashKey([]byte("k")))
	require.Equal(t, EvLookupDone, e.Kind)
	require.Equal(t, "a", e.Node.Addr)
	require.Equal(t, 0, e.Hops)
}

func TestTwoNodesJoin(t *testing.T) {
	w := newNet(t, 2)
	w.add("a", 1)
	w.add("b", 1, "a")
	w.run(3 * time.Second)
	require.NoError(t, ringOK(w.live()))
}

func TestSequentialAndConcurrentJoinsConverge(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			w := newNet(t, seed)
			w.add("n0", 1)
			for i := 1; i < 40; i++ {
				contact := fmt.Sprint("n", w.rng.IntN(i))
				w.add(fmt.Sprint("n", i), 1, contact)
				if i%10 == 0 {
					w.run(500 * time.Millisecond)
				}
			}
			w.run(30 * time.Second)
			require.NoError(t, ringOK(w.live()))
			for i := range 50 {
				key := HashKey([]byte(fmt.Sprint("key", i)))
				from := w.live()[w.rng.IntN(40)]
				e := w.lookup(from, key)
				require.Equal(t, EvLookupDone, e.Kind)
				require.Equal(t, trueOwner(w.live(), key).Addr, e.Node.Addr)
			}
		})
	}
}

func TestCrashesAreRepaired(t *testing.T) {
	w := newNet(t, 7)
	w.add("n0", 1)
	for i := 1; i < 30; i++ {
		w.add(fmt.Sprint("n", i), 1, "n0")
	}
	w.run(30 * time.Second)
	require.NoError(t, ringOK(w.live()))
	for _, i := range []int{3, 4, 5, 17} { // adjacent-by-name is random on the ring; 4 crashes
		w.crash(fmt.Sprint("n", i))
	}
	w.run(20 * time.Second)
	require.NoError(t, ringOK(w.live()))
	passive := 0
	for _, n := range w.live() {
		passive += len(n.State().Passive)
	}
	require.Positive(t, passive, "removed nodes go to passive lists")
}

func TestGracefulLeave(t *testing.T) {
	w := newNet(t, 8)
	w.add("n0", 1)
	for i := 1; i < 10; i++ {
		w.add(fmt.Sprint("n", i), 1, "n0")
	}
	w.run(20 * time.Second)
	require.NoError(t, ringOK(w.live()))
	n5 := w.nodes["n5"]
	n5.Leave(w.now)
	w.flush("n5")
	w.run(200 * time.Millisecond) // far less than failure detection takes
	require.True(t, n5.left)
	require.NoError(t, ringOK(w.live()))
	for _, n := range w.live() {
		require.Empty(t, n.State().Passive, "a node that left is not passive")
	}
}

func TestRestartWithNewIncarnationRejoins(t *testing.T) {
	w := newNet(t, 9)
	w.add("n0", 1)
	for i := 1; i < 10; i++ {
		w.add(fmt.Sprint("n", i), 1, "n0")
	}
	w.run(20 * time.Second)
	w.crash("n4")
	w.run(100 * time.Millisecond)
	w.add("n4", 2, "n0") // restarted before anyone noticed the crash
	w.run(20 * time.Second)
	require.NoError(t, ringOK(w.live()))
	for _, n := range w.live() {
		for _, r := range append(n.State().Succs, n.State().Pred) {
			if r.Addr == "n4" {
				require.Equal(t, uint64(2), r.Inc)
			}
		}
	}
}
