package sim

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/sim/simtest"
	"github.com/stretchr/testify/require"
)

// Scenario tests of issue 2: many ring nodes joining at once, churn (crashes, restarts, joins,
// graceful leaves) over lossy, duplicating, reordering links, and lookups checked against the
// true ring. ringWorld is the scenario's side of the driver: it picks contacts the way an
// invite ticket would (several peers already in the ring), stops nodes whose graceful leave
// finished, gives fresh contacts to a joiner whose contacts all died (as node/ does from the
// DHT or mDNS) and collects lookup results.

var ringTrace = flag.String("sim.ringtrace", "", "write the text trace of ring scenario runs to this file (with -seed=N: one seed's trace)")

// ringWorld drives a simulated ring for one scenario run.
type ringWorld struct {
	tb   testing.TB
	s    *Sim[ring.Message]
	r    *rand.Rand
	seed int64

	next     int                 // next fresh node number
	contacts map[string][]string // contacts each node last joined through
	leaving  map[string]bool     // graceful leave started, not stopped yet
	down     []string            // crashed or stopped, may be restarted
	refreshd int                 // joiners given fresh contacts

	pending map[reqKey]int // lookups in flight → index in res
	res     []lookupResult
}

type reqKey struct {
	addr string
	id   uint64
}

// lookupResult is one lookup's outcome; done and failed are both false while it is in flight.
type lookupResult struct {
	from   string
	key    ring.ID
	done   bool
	failed bool
	owner  ring.NodeRef
	hops   int
}

func newRingWorld(tb testing.TB, seed int64, codec bool, link Link) *ringWorld {
	w := &ringWorld{
		tb:       tb,
		r:        rand.New(rand.NewPCG(uint64(seed), 0x5eed)),
		seed:     seed,
		contacts: map[string][]string{},
		leaving:  map[string]bool{},
		pending:  map[reqKey]int{},
	}
	cfg := withEventHook(ringConfig(seed, codec, false, link), w.onEvent)
	if *ringTrace != "" {
		f, err := os.Create(*ringTrace)
		require.NoError(tb, err)
		tb.Cleanup(func() { require.NoError(tb, f.Close()) })
		cfg.Trace = f
	}
	s, err := New(cfg)
	require.NoError(tb, err)
	w.s = s
	return w
}

func (w *ringWorld) onEvent(addr string, e ring.Event) {
	switch e.Kind {
	case ring.EvLookupDone, ring.EvLookupFailed:
		k := reqKey{addr, e.ReqID}
		i, ok := w.pending[k]
		if !ok {
			return
		}
		delete(w.pending, k)
		res := &w.res[i]
		res.done, res.failed = e.Kind == ring.EvLookupDone, e.Kind == ring.EvLookupFailed
		res.owner, res.hops = e.Node, e.Hops
	case ring.EvLeft:
		if w.leaving[addr] {
			// Not from inside the machine's own drain: stop it as the next scenario action.
			w.s.At(w.s.Now(), func() {
				delete(w.leaving, addr)
				require.NoError(w.tb, w.s.Stop(addr))
				w.down = append(w.down, addr)
			})
		}
	}
}

// joinedLive is the live nodes that have joined, in address order.
func (w *ringWorld) joinedLive() []string {
	var out []string
	w.s.Each(func(a string, m Machine[ring.Message]) {
		if m.(*ringMachine).n.Joined() && !w.leaving[a] {
			out = append(out, a)
		}
	})
	return out
}

// pick returns k distinct random elements of from (all of them if there are fewer).
func (w *ringWorld) pick(from []string, k int) []string {
	if len(from) <= k {
		return slices.Clone(from)
	}
	idx := w.r.Perm(len(from))[:k]
	out := make([]string, k)
	for i, j := range idx {
		out[i] = from[j]
	}
	return out
}

func (w *ringWorld) freshName() string {
	a := fmt.Sprint("n", w.next)
	w.next++
	return a
}

func (w *ringWorld) start(addr string, contacts []string) {
	w.contacts[addr] = contacts
	require.NoError(w.tb, w.s.Start(addr, contacts...))
}

func (w *ringWorld) restart(addr string, contacts []string) {
	w.contacts[addr] = contacts
	w.down = slices.DeleteFunc(w.down, func(a string) bool { return a == addr })
	require.NoError(w.tb, w.s.Restart(addr, contacts...))
}

func (w *ringWorld) crash(addr string) {
	require.NoError(w.tb, w.s.Crash(addr))
	w.down = append(w.down, addr)
}

func (w *ringWorld) leave(addr string) {
	w.leaving[addr] = true
	require.NoError(w.tb, w.s.Do(addr, func(m Machine[ring.Message]) { m.(*ringMachine).n.Leave(w.s.Now()) }))
}

// refreshContacts gives every live joiner whose contacts are all down three live joined ones,
// as the node driver does from the DHT or mDNS. A joiner with a live contact keeps retrying it.
func (w *ringWorld) refreshContacts() {
	var joined []string
	for _, a := range w.s.Live() {
		m := w.s.Machine(a).(*ringMachine)
		if m.n.Joined() {
			continue
		}
		if slices.ContainsFunc(w.contacts[a], func(c string) bool { return w.s.Machine(c) != nil }) {
			continue
		}
		if joined == nil {
			joined = w.joinedLive()
		}
		cs := w.pick(joined, 3)
		w.contacts[a] = cs
		w.refreshd++
		var refs []ring.NodeRef
		for _, c := range cs {
			refs = append(refs, ringRef(c, 0))
		}
		require.NoError(w.tb, w.s.Do(a, func(m Machine[ring.Message]) { m.(*ringMachine).n.Bootstrap(w.s.Now(), refs) }))
	}
}

// startMany starts n fresh nodes at random times within window from now, each joining through
// up to 3 distinct nodes started before it (not necessarily joined yet: a joining node passes a
// join on to its own contacts). The first node founds the ring if nobody is live.
func (w *ringWorld) startMany(n int, window time.Duration) []string {
	at := make([]time.Duration, n)
	for i := range at {
		at[i] = time.Duration(w.r.Int64N(int64(window) + 1))
	}
	slices.Sort(at)
	started := slices.Clone(w.s.Live())
	var names []string
	for i := range n {
		addr := w.freshName()
		names = append(names, addr)
		var cs []string
		if len(started) > 0 || i > 0 {
			cs = w.pick(started, 3)
		}
		started = append(started, addr)
		if len(cs) == 0 {
			w.start(addr, nil) // founder
			continue
		}
		w.s.After(at[i], func() { w.start(addr, cs) })
	}
	return names
}

// waitHealthy runs until every live node has joined one correct ring, checking once per
// virtual second, and returns the virtual time it took.
func (w *ringWorld) waitHealthy(limit time.Duration) time.Duration {
	w.tb.Helper()
	from := w.s.Now()
	var last error
	ok := w.s.WaitFor(func() bool { last = ringHealthy(w.s); return last == nil }, time.Second, from.Add(limit))
	require.True(w.tb, ok, "seed %d: no healthy ring within %v from %v: %v", w.seed, limit, time.Duration(from), last)
	return w.s.Now().Sub(from)
}

// lookupBatch starts n lookups of fresh random keys from random joined nodes, spread evenly over
// spread, runs until all have finished, and checks every answer against the true ring. The ring
// must be quiet (no membership change) meanwhile: it is checked healthy before and after.
func (w *ringWorld) lookupBatch(n int, spread time.Duration) []lookupResult {
	w.tb.Helper()
	require.NoError(w.tb, ringHealthy(w.s))
	liveBefore := slices.Clone(w.s.Live())
	from := w.joinedLive()
	base := len(w.res)
	for i := range n {
		addr := from[w.r.IntN(len(from))]
		key := ring.HashKey(fmt.Appendf(nil, "key-%d-%d", w.seed, base+i))
		w.res = append(w.res, lookupResult{from: addr, key: key})
		idx := base + i
		w.s.After(spread*time.Duration(i)/time.Duration(n), func() {
			require.NoError(w.tb, w.s.Do(addr, func(m Machine[ring.Message]) {
				id := m.(*ringMachine).n.Lookup(w.s.Now(), key)
				w.pending[reqKey{addr, id}] = idx
			}))
		})
	}
	finished := func() bool {
		for _, r := range w.res[base:] {
			if !r.done && !r.failed {
				return false
			}
		}
		return true
	}
	// A lookup ends by its answer or its timeout (5 s by default).
	w.s.RunFor(spread)
	require.True(w.tb, w.s.RunUntil(func() bool { return len(w.pending) == 0 }, w.s.Now().Add(10*time.Second)) && finished(),
		"seed %d: %d lookups neither answered nor failed", w.seed, len(w.pending))
	require.Equal(w.tb, liveBefore, w.s.Live(), "membership changed during the lookups")
	require.NoError(w.tb, ringHealthy(w.s))
	st := ringStates(w.s)
	out := w.res[base:]
	for i, r := range out {
		if r.done {
			require.NoError(w.tb, CheckLookup(st, r.key, r.owner), "seed %d: lookup %d from %s", w.seed, i, r.from)
		}
	}
	return out
}

// fingerRefresh bounds how long a finger may point at a node that departed elsewhere in the
// ring. Only neighbours are watched by the failure detector; a finger is replaced by the owner's
// next finger round, and a node whose rounds changed nothing runs one only every 8
// FingerPeriods, jittered (ring/fingers.go), plus the round itself. Until then a lookup routed
// through that finger times out: routing does not try another hop. 1000 churn seeds measured up
// to 84 s of stale fingers after convergence (median 25 s).
var fingerRefresh = 12 * ring.DefaultConfig().FingerPeriod

// waitFingersLive runs until no live node has a finger at a node that is not running (at most
// fingerRefresh) and returns how long that took.
func (w *ringWorld) waitFingersLive() time.Duration {
	w.tb.Helper()
	from := w.s.Now()
	var last string
	ok := w.s.WaitFor(func() bool {
		last = ""
		w.s.Each(func(a string, m Machine[ring.Message]) {
			for _, f := range m.(*ringMachine).n.State().FingerNodes {
				if last == "" && w.s.Machine(f.Addr) == nil {
					last = a + " has finger " + f.Addr
				}
			}
		})
		return last == ""
	}, time.Second, from.Add(fingerRefresh))
	require.True(w.tb, ok, "seed %d: fingers still point at departed nodes after %v: %s", w.seed, fingerRefresh, last)
	return w.s.Now().Sub(from)
}

func countFailed(rs []lookupResult) int {
	n := 0
	for _, r := range rs {
		if r.failed {
			n++
		}
	}
	return n
}

// TestRing1000ConcurrentJoinAndChurn: 1000 nodes start within 10 s of virtual time, each
// through 3 nodes started before it; they converge to one ring. Then 100 crash and 100 new ones
// start at the same instant; the ring converges again and lookups are answered by true owners.
// One seed in CI (about 15 s of wall time); -seeds=N runs more.
func TestRing1000ConcurrentJoinAndChurn(t *testing.T) {
	simtest.Seeds(t, 1, runRing1000Churn)
}

func runRing1000Churn(t *testing.T, seed int64) {
	wall := time.Now()
	link := Link{Latency: 5 * time.Millisecond, Jitter: 2 * time.Millisecond, Loss: 0.002, Dup: 0.002}
	w := newRingWorld(t, seed, false, link)
	w.startMany(1000, 10*time.Second)
	w.s.RunFor(10 * time.Second)
	require.Len(t, w.s.Live(), 1000)
	conv1 := w.waitHealthy(5 * time.Minute)
	t.Logf("1000 nodes started within 10 s: one ring at %v (%v after the 10 s start window)",
		time.Duration(w.s.Now()), conv1)

	live := w.s.Live()
	victims := w.pick(live, 100)
	var survivors []string
	for _, a := range live {
		if !slices.Contains(victims, a) {
			survivors = append(survivors, a)
		}
	}
	crashAt := w.s.Now()
	for _, a := range victims {
		w.crash(a)
	}
	for range 100 {
		w.start(w.freshName(), w.pick(survivors, 3))
	}
	require.Len(t, w.s.Live(), 1000)
	conv2 := w.waitHealthy(5 * time.Minute)
	t.Logf("100 crashed and 100 joined at %v: one ring again after %v", time.Duration(crashAt), conv2)

	// Lookups right away, still over the lossy link: a lost message or a finger still pointing
	// at a crashed node makes a lookup time out (routing does not retry a hop); every answer
	// must be right.
	rs := w.lookupBatch(1000, 10*time.Second)
	failedEarly := countFailed(rs)
	// Then on a clean link once every node has run a finger round since the churn: every
	// lookup must be answered, by the true owner.
	require.NoError(t, w.s.SetDefaultLink(Link{Latency: 5 * time.Millisecond, Jitter: 2 * time.Millisecond}))
	stale := w.waitFingersLive()
	rs = w.lookupBatch(2000, 10*time.Second)
	require.Zero(t, countFailed(rs), "lookups failed on a healthy ring with refreshed fingers")
	st := w.s.Stats()
	t.Logf("lookups: 1000 right after convergence over the lossy link (%d timed out, the rest correct), "+
		"2000 on a clean link once no finger pointed at a crashed node, %v later (all correct); %d events, %d messages, %v virtual, %v wall",
		failedEarly, stale, st.Events, st.Sent, time.Duration(w.s.Now()), time.Since(wall).Round(time.Millisecond))
}

// churnParams shapes one churn scenario.
type churnParams struct {
	initial int           // nodes joining at the start
	minLive int           // below this, churn only adds nodes
	churn   time.Duration // length of the churn phase
	meanGap time.Duration // mean time between membership changes (exponential)
	link    Link          // during churn and the quiet phase after it
}

// runRingChurn is one seed of the churn scenario; it returns a one-line summary.
func runRingChurn(t *testing.T, seed int64, p churnParams) string {
	w := newRingWorld(t, seed, true, p.link)
	w.startMany(p.initial, 10*time.Second)
	w.s.RunFor(10 * time.Second)
	w.waitHealthy(2 * time.Minute)

	stop := w.s.Every(30*time.Second, w.refreshContacts)
	defer stop()
	var joins, crashes, restarts, leaves int
	end := w.s.Now().Add(p.churn)
	for {
		gap := time.Duration(w.r.ExpFloat64() * float64(p.meanGap))
		if w.s.Now().Add(gap) >= end {
			break
		}
		w.s.RunFor(gap)
		joined := w.joinedLive()
		var victims []string // live, not leaving
		for _, a := range w.s.Live() {
			if !w.leaving[a] {
				victims = append(victims, a)
			}
		}
		switch k := w.r.IntN(100); {
		case k < 30 || len(victims) <= p.minLive:
			w.start(w.freshName(), w.pick(joined, 3))
			joins++
		case k < 55:
			w.crash(victims[w.r.IntN(len(victims))])
			crashes++
		case k < 75 && len(w.down) > 0:
			w.restart(w.down[w.r.IntN(len(w.down))], w.pick(joined, 3))
			restarts++
		default:
			w.leave(victims[w.r.IntN(len(victims))])
			leaves++
		}
	}
	w.s.RunTo(end)
	// Quiet from here on: let graceful leaves still in progress finish (LeaveTimeout at most).
	require.True(t, w.s.RunUntil(func() bool { return len(w.leaving) == 0 }, w.s.Now().Add(time.Minute)),
		"seed %d: graceful leaves did not finish: %v", seed, w.leaving)
	conv := w.waitHealthy(3 * time.Minute)
	stop()

	// Lookups on a clean link. Right after convergence some may time out through a finger that
	// still points at a departed node (counted, not asserted); once the fingers have been
	// refreshed every one must be answered. Every answer must come from the true owner.
	require.NoError(t, w.s.SetDefaultLink(Link{Latency: 5 * time.Millisecond, Jitter: 2 * time.Millisecond}))
	early := countFailed(w.lookupBatch(50, 5*time.Second))
	stale := w.waitFingersLive()
	rs := w.lookupBatch(50, 5*time.Second)
	require.Zero(t, countFailed(rs), "seed %d: lookups failed on a healthy ring with refreshed fingers", seed)
	return fmt.Sprintf("seed %d: %d live; %d joins, %d crashes, %d restarts, %d leaves, %d contact refreshes; healthy %v after churn; %d/50 early lookups timed out; fingers all live %v later",
		seed, len(w.s.Live()), joins, crashes, restarts, leaves, w.refreshd, conv, early, stale)
}

// TestRingChurnSeeds runs the churn scenario for 100 seeds (-seeds=5000 for a soak, -seed=N to
// replay one): 60 nodes, then 4 virtual minutes of joins, crashes, restarts and graceful leaves
// (about 6 changes a minute, a tenth of the ring) over links with loss, duplication and
// reordering, then quiet until the ring is one again; then lookups.
func TestRingChurnSeeds(t *testing.T) {
	p := churnParams{
		initial: 60,
		minLive: 45,
		churn:   4 * time.Minute,
		meanGap: 10 * time.Second,
		link: Link{Latency: 5 * time.Millisecond, Jitter: 3 * time.Millisecond, Loss: 0.01, Dup: 0.01,
			Reorder: 0.02, ReorderDelay: 30 * time.Millisecond},
	}
	simtest.Seeds(t, 100, func(t *testing.T, seed int64) {
		sum := runRingChurn(t, seed, p)
		if testing.Verbose() {
			t.Log(sum)
		}
	})
}
