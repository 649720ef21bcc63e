package txn

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// After Tick(now) the machine must not ask for a timer at or before now: a driver that honours
// Wake (the simulator) would tick it again and again without virtual time moving.
//
// Regression: storetest TestCrashes seed=2 hung. A TM whose commit reached its deadline
// started a recovery but left the commit's retry timer in the past, so Wake stayed there
// until the second deadline — three virtual seconds of one-nanosecond ticks.
func TestRecoveringCommitWakesInTheFuture(t *testing.T) {
	c := newCluster(t, 11, testConfig())
	a := c.start("a", true)
	c.start("b", false)
	c.start("c", false)
	c.waitConverged(30 * time.Second)

	// a's prepares and votes reach only a itself: the commit cannot decide, so at its deadline
	// the TM recovers (and cannot finish that either while cut off).
	c.partition([]string{"a"}, []string{"b", "c"})
	id := a.m.Commit(c.now, TxSpec{Ops: []Op{{Key: []byte("k"), Write: true, Value: []byte("v")}}})
	c.flush(a)
	for end := c.now.Add(2*a.m.cfg.RequestTimeout + time.Second); c.now < end; {
		c.run(50 * time.Millisecond)
		a.m.Tick(c.now)
		if w := a.m.wake(); w != 0 {
			require.Greater(t, w, c.now, "after Tick(%v) a wants its next tick at %v", time.Duration(c.now), time.Duration(w))
		}
		c.flush(a)
	}
	ev := c.await(a, id, time.Second)
	require.ErrorIs(t, ev.Err, ErrUnknownOutcome)
}

// A machine told it is ticked periodically reports no wake and otherwise the same output.
func TestPeriodicMachineSkipsWakeOnly(t *testing.T) {
	run := func(periodic bool) (msgs int, wake Time) {
		c := newCluster(t, 4, testConfig())
		a := c.start("a", true)
		if periodic {
			a.m.TicksPeriodically()
		}
		a.m.Read(c.now, []byte("k"))
		out := a.m.Ready()
		return len(out.Msgs), out.Wake
	}
	n1, w1 := run(false)
	n2, w2 := run(true)
	require.Equal(t, n1, n2)
	require.NotZero(t, w1)
	require.Zero(t, w2)
}
