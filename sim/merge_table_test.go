package sim

import (
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/detrans/detrans/core"
	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/sim/simtest"
	"github.com/stretchr/testify/require"
)

// The ring-merge experiments of BenchmarkRingMerge's table and of TestMergeScenarios. Each one
// starts from an odd configuration (rings cut apart, or one loopy ring), lets the partition
// layer repair it, and checks the result: one ring over all live nodes, no key with two owners,
// and lookups from random nodes answered by the true owner.

// Merge scenarios.
const (
	scEven   = "even"   // a random split into k groups of equal size
	scUneven = "uneven" // k=2: ~N/8 vs the rest; k=3: ~N/8, ~N/4 and the rest
	scChurn  = "churn"  // even split; at the heal 5% of the nodes crash and as many new ones join
	scLong   = "long"   // even split kept apart 3 minutes after the groups settled
	scLoopy  = "loopy"  // one successor cycle through all N nodes that wraps the id space k times
	// scLoopyDetect is scLoopy plus one Detect, as node/ makes for a peer it finds by mDNS or
	// connects to: one random node is told of one random node outside its view.
	scLoopyDetect = "loopy+D"
)

// mergeResult is what one experiment measured.
type mergeResult struct {
	one     bool          // one ring with no two owners over all live nodes within the limit
	took    time.Duration // heal (or loop built) to one ring, virtual; the limit if !one
	msgs    float64       // partition-layer messages per live node meanwhile
	lookups lookupTally   // right after one ring (or at the limit)
	nodes   int           // live nodes at the end
	// sides is why the groups of a split were not each one ring of their own when the heal
	// came (nil: they were); stranded counts the nodes whose successor was wrong in their group;
	// unknown names a node that knew no node of its group, nor any of them it (then no protocol
	// can bring it back to its side: see knowledgeGaps).
	sides    error
	stranded int
	unknown  string
	apart    time.Duration // how long the groups of a split were apart
	m        *mergeRun
}

// mergeExperiment builds the starting configuration of scenario sc for n nodes and k groups
// (windings for the loopy ones), repairs it and checks the result: one ring with no two owners
// over all live nodes within limit (virtual time), then nLookups lookups. A split whose sides do
// not each become a ring of their own within sideLimit is healed anyway (res.sides says so).
func mergeExperiment(t testing.TB, seed int64, n, k int, sc string, cfg core.Config, sideLimit, limit time.Duration, nLookups int) mergeResult {
	r := rand.New(rand.NewPCG(uint64(seed), 17))
	var m *mergeRun
	var res mergeResult
	switch sc {
	case scLoopy, scLoopyDetect:
		m = loopyWorld(t, seed, n, k, cfg)
		var start func()
		if sc == scLoopyDetect {
			start = func() { m.detectOne(t, r) }
		}
		res.one, res.took, res.msgs = m.awaitOneRing(t, limit, start)
	default:
		// One group of everybody is no partition: splitWorldOpt then only builds the ring.
		m = splitWorldOpt(t, seed, n, 1, cfg, false)
		var groups [][]string
		if sc == scUneven {
			groups = unevenGroups(r, m.names, k)
		} else {
			groups = evenGroups(r, m.names, k)
		}
		cut := m.s.Now()
		res.sides = m.split(groups, sideLimit)
		// The sides live apart a little longer than it took to settle; a long split much longer
		// (passive nodes are probed just as often then: the heal must be noticed as fast).
		if sc == scLong {
			m.s.RunFor(3 * time.Minute)
		} else {
			m.s.RunFor(10 * time.Second)
		}
		res.apart = m.s.Now().Sub(cut)
		if res.sides != nil {
			res.stranded = m.stranded()
			res.unknown = m.knowledgeGaps()
		}
		heal := m.s.Heal
		if sc == scChurn {
			heal = func() { m.s.Heal(); m.churn(t, r, max(1, (n+10)/20)) }
		}
		res.one, res.took, res.msgs = m.awaitOneRing(t, limit, heal)
	}
	res.nodes, res.m = len(m.names), m
	res.lookups = m.lookups(t, r, nLookups, res.one)
	return res
}

// evenGroups cuts names into k random groups of equal size (±1), each sorted.
func evenGroups(r *rand.Rand, names []string, k int) [][]string {
	groups := make([][]string, k)
	for i, j := range r.Perm(len(names)) {
		groups[i%k] = append(groups[i%k], names[j])
	}
	for _, g := range groups {
		slices.Sort(g)
	}
	return groups
}

// unevenGroups cuts names into a small random group of ~1/8 (at least 2), for k=3 a second one
// of ~1/4, and the rest.
func unevenGroups(r *rand.Rand, names []string, k int) [][]string {
	n := len(names)
	sizes := []int{max(2, n/8)}
	if k == 3 {
		sizes = append(sizes, max(2, n/4))
	}
	perm := r.Perm(n)
	var groups [][]string
	at := 0
	for _, size := range sizes {
		var g []string
		for _, j := range perm[at : at+size] {
			g = append(g, names[j])
		}
		groups = append(groups, g)
		at += size
	}
	var rest []string
	for _, j := range perm[at:] {
		rest = append(rest, names[j])
	}
	groups = append(groups, rest)
	for _, g := range groups {
		slices.Sort(g)
	}
	return groups
}

// split partitions the running ring into groups and waits, at most limit, until each is a ring of
// its own; it returns why they are not (nil: they are).
func (m *mergeRun) split(groups [][]string, limit time.Duration) error {
	m.s.Partition(groups...)
	m.groups = groups
	var last error
	if m.s.WaitFor(func() bool { last = ringsOK(m.s, groups); return last == nil }, time.Second, m.s.Now().Add(limit)) {
		return nil
	}
	return last
}

// knowledgeGaps reports, for the first group of m.groups whose nodes do not all know each
// other transitively, why: nodes a and b are linked when either has the other in its ring tables
// (passive list included) or among the nodes its partition layer knows of (Known). A side that
// is linked must become one ring (one node asks another to place it); one that is not cannot.
// Empty if every group is linked.
func (m *mergeRun) knowledgeGaps() string {
	for _, g := range m.groups {
		in := map[string]int{}
		for i, a := range g {
			in[a] = i
		}
		parent := make([]int, len(g))
		for i := range parent {
			parent[i] = i
		}
		var find func(int) int
		find = func(i int) int {
			for parent[i] != i {
				parent[i] = parent[parent[i]]
				i = parent[i]
			}
			return i
		}
		for i, a := range g {
			p := m.s.Machine(a).(*Peer)
			st := p.P.State()
			refs := slices.Concat(st.Succs, st.Preds, st.FingerNodes, []ring.NodeRef{st.Pred}, p.P.Part.Known())
			for _, e := range st.Passive {
				refs = append(refs, e.Node)
			}
			for _, r := range refs {
				if j, ok := in[r.Addr]; ok {
					parent[find(i)] = find(j)
				}
			}
		}
		comps := map[int][]string{}
		for i, a := range g {
			comps[find(i)] = append(comps[find(i)], a)
		}
		if len(comps) > 1 {
			var parts []string
			for _, c := range comps {
				parts = append(parts, fmt.Sprint(c))
			}
			slices.Sort(parts)
			return fmt.Sprintf("group of %d falls into %d parts that know nothing of each other: %s", len(g), len(comps), strings.Join(parts, " "))
		}
	}
	return ""
}

// stranded counts the nodes whose first successor is not their true successor within their
// group (m.groups).
func (m *mergeRun) stranded() int {
	bad := 0
	for _, g := range m.groups {
		var states []ring.State
		for _, a := range g {
			states = append(states, m.s.Machine(a).(*Peer).P.State())
		}
		v, err := newRingView(states)
		if err != nil {
			bad += len(g)
			continue
		}
		bad += len(g) - len(v.nodes) // not joined
		for i, st := range v.nodes {
			if len(st.Succs) == 0 || !same(st.Succs[0], v.succ(i)) {
				bad++
			}
		}
	}
	return bad
}

// churn crashes c random nodes and starts c new ones, each joining through two random
// survivors.
func (m *mergeRun) churn(t testing.TB, r *rand.Rand, c int) {
	victims := map[string]bool{}
	for len(victims) < c {
		victims[m.names[r.IntN(len(m.names))]] = true
	}
	for _, v := range slices.Sorted(maps.Keys(victims)) {
		require.NoError(t, m.s.Crash(v))
	}
	m.names = slices.DeleteFunc(m.names, func(a string) bool { return victims[a] })
	survivors := slices.Clone(m.names)
	next := len(m.s.Nodes())
	for i := range c {
		name := fmt.Sprint("n", next+i)
		require.NoError(t, m.s.Start(name, survivors[r.IntN(len(survivors))], survivors[r.IntN(len(survivors))]))
		m.names = append(m.names, name)
	}
}

// awaitOneRing runs start (the heal, if any) and waits at most limit until m.names form one ring
// with no two owners. It returns whether they did, the virtual time that took and the
// partition-layer messages sent meanwhile per live node (those of nodes that start crashed are
// not counted).
func (m *mergeRun) awaitOneRing(t testing.TB, limit time.Duration, start func()) (bool, time.Duration, float64) {
	before := map[string]int{}
	for _, p := range Peers(m.s) {
		before[p.Addr] = sumSent(p)
	}
	from := m.s.Now()
	if start != nil {
		start()
	}
	ok := m.s.WaitFor(func() bool { return ringsOK(m.s, [][]string{m.names}) == nil }, 100*time.Millisecond, from.Add(limit))
	total := 0
	peers := Peers(m.s)
	for _, p := range peers {
		total += sumSent(p) - before[p.Addr]
	}
	return ok, m.s.Now().Sub(from), float64(total) / float64(len(peers))
}

// detectOne tells one random node, through partition.Machine.Detect, of a random node that is
// not in its view.
func (m *mergeRun) detectOne(t testing.TB, r *rand.Rand) {
	for _, i := range r.Perm(len(m.names)) {
		a := m.names[i]
		p := m.s.Machine(a).(*Peer)
		var outside []string
		for _, b := range m.names {
			if !p.P.Ring.InView(b) {
				outside = append(outside, b)
			}
		}
		if len(outside) > 0 {
			b := outside[r.IntN(len(outside))]
			require.NoError(t, m.s.Do(a, func(Machine[core.Msg]) { p.P.Part.Detect(m.s.Now(), PeerRef(b, 0)) }))
			return
		}
	}
	require.Fail(t, "every node has every other in its view: nothing to detect")
}

func sumSent(p *Peer) int {
	total := 0
	for _, c := range p.P.Part.Sent() {
		total += c
	}
	return total
}

// loopyWorld starts n peers alone (each a ring of one; n0 founds the space) and links them, with
// the ring's own Adopt, into one successor cycle that wraps the id space w times: in id order
// x0 < x1 < ... the cycle visits x0, xw, x2w, ..., then x1, x1+w, ..., and so on, back to x0.
// Each node's predecessor is the node pointing at it, so stabilisation (a successor's
// predecessor between us and it) finds nothing to fix: it is the "loopy ring" of the Chord
// literature. A node alone takes any node as successor and predecessor (anything is closer than
// itself), so Adopt builds it exactly; we know of no run of our protocols that reaches it by
// itself, which is why it is built directly.
func loopyWorld(t testing.TB, seed int64, n, w int, cfg core.Config) *mergeRun {
	require.GreaterOrEqual(t, n, 2*w, "a loop of %d windings needs at least %d nodes", w, 2*w)
	link := Link{Latency: 5 * time.Millisecond, Jitter: 2 * time.Millisecond, Loss: 0.002}
	pc := PeerConfig(seed, cfg, link, "n0")
	if traceMerge != nil {
		pc.Trace = traceMerge
	}
	s := MustNew(pc)
	var names []string
	for i := range n {
		name := fmt.Sprint("n", i)
		require.NoError(t, s.Start(name))
		names = append(names, name)
	}
	s.RunFor(time.Second)
	byID := slices.Clone(names)
	slices.SortFunc(byID, func(a, b string) int { return PeerRef(a, 0).ID.Cmp(PeerRef(b, 0).ID) })
	var cycle []string
	for c := range w {
		for i := c; i < n; i += w {
			cycle = append(cycle, byID[i])
		}
	}
	ref := func(a string) ring.NodeRef { return s.Machine(a).(*Peer).P.Self() }
	for i, a := range cycle {
		pred, succ := ref(cycle[(i+n-1)%n]), ref(cycle[(i+1)%n])
		require.NoError(t, s.Do(a, func(mc Machine[core.Msg]) { mc.(*Peer).P.Ring.Adopt(s.Now(), pred, succ) }))
	}
	// Prove the start is what it claims: one cycle through everybody, wrapping w times.
	var states []ring.State
	for _, p := range Peers(s) {
		states = append(states, p.P.State())
	}
	cycles, wraps := successorCycles(states)
	require.Equal(t, []int{n}, cycles, "one successor cycle through all nodes")
	require.Equal(t, w, wraps, "windings of the successor cycle")
	require.Error(t, CheckOneRing(states), "a loopy ring is not one ring")
	return &mergeRun{s: s, names: names, groups: [][]string{names}}
}

// successorCycles returns the sizes of the cycles of first-successor pointers among states and
// how many times, in total, they wrap past the top of the id space.
func successorCycles(states []ring.State) ([]int, int) {
	v, err := newRingView(states)
	if err != nil {
		return nil, 0
	}
	_, sizes := v.cycles()
	wraps := 0
	for _, s := range v.nodes {
		if len(s.Succs) > 0 && !s.Self.ID.Less(s.Succs[0].ID) {
			wraps++
		}
	}
	return sizes, wraps
}

// lookupTally counts the lookups of one check.
type lookupTally struct {
	asked   int
	ok      int    // answered by the true owner
	wrong   int    // answered by another node
	retried int    // timed out at first (a lost message or a finger at a crashed node) and asked again
	failed  int    // still unanswered after the retries
	first   string // the first wrong answer, for messages
	// relapse is the first time the ring, one with no two owners when the lookups started, was
	// not (checked every 50 ms while they ran); empty if it stayed so or was not watched.
	relapse string
}

func (l lookupTally) String() string {
	s := fmt.Sprintf("%d/%d ok", l.ok, l.asked)
	if l.wrong > 0 {
		s += fmt.Sprintf(" %d WRONG", l.wrong)
	}
	if l.failed > 0 {
		s += fmt.Sprintf(" %d failed", l.failed)
	}
	if l.retried > 0 {
		s += fmt.Sprintf(" (%d retried)", l.retried)
	}
	if l.relapse != "" {
		s += " RELAPSE"
	}
	return s
}

// lookups asks n random keys, each from a random live node, spread over a second, and checks
// every answer with CheckLookup. The ring routes without retrying a hop, so a lookup whose
// message was lost (or went to a finger at a crashed node) times out: it is asked again from the
// same node, up to twice. Membership does not change meanwhile, so the true owners are fixed.
// With watch, the ring is checked every 50 ms meanwhile: once one ring with no two owners, it
// must stay so (tally.relapse).
func (m *mergeRun) lookups(t testing.TB, r *rand.Rand, n int, watch bool) lookupTally {
	type ask struct {
		from string
		key  ring.ID
		id   uint64
		done bool
	}
	type reqKey struct {
		addr string
		id   uint64
	}
	for _, p := range Peers(m.s) {
		p.RingEvents = nil
	}
	var tally lookupTally
	asks := make([]*ask, n)
	for i := range asks {
		asks[i] = &ask{from: m.names[r.IntN(len(m.names))], key: ring.HashKey(fmt.Appendf(nil, "merge-key-%d-%d", r.Uint64(), i))}
	}
	tally.asked = n
	if watch {
		stop := m.s.Every(50*time.Millisecond, func() {
			if err := ringsOK(m.s, [][]string{m.names}); err != nil && tally.relapse == "" {
				tally.relapse = fmt.Sprintf("at %v: %v", time.Duration(m.s.Now()), err)
			}
		})
		defer stop()
	}
	pending := asks
	for try := 0; try < 3 && len(pending) > 0; try++ {
		if try > 0 {
			tally.retried += len(pending)
		}
		byReq := map[reqKey]*ask{}
		for i, a := range pending {
			m.s.After(time.Second*time.Duration(i)/time.Duration(len(pending)), func() {
				require.NoError(t, m.s.Do(a.from, func(mc Machine[core.Msg]) {
					a.id = mc.(*Peer).P.Lookup(m.s.Now(), a.key)
					byReq[reqKey{a.from, a.id}] = a
				}))
			})
		}
		// Every lookup ends by its answer or its timeout (5 s).
		m.s.RunFor(time.Second + ring.DefaultConfig().LookupTimeout + time.Second)
		var states []ring.State
		for _, p := range Peers(m.s) {
			states = append(states, p.P.State())
		}
		for _, p := range Peers(m.s) {
			for _, e := range p.RingEvents {
				a := byReq[reqKey{p.Addr, e.ReqID}]
				if e.Kind != ring.EvLookupDone || a == nil || a.done {
					continue
				}
				a.done = true
				if err := CheckLookup(states, a.key, e.Node); err != nil {
					tally.wrong++
					if tally.first == "" {
						tally.first = fmt.Sprintf("from %s: %v", a.from, err)
					}
				} else {
					tally.ok++
				}
			}
			p.RingEvents = nil
		}
		pending = slices.DeleteFunc(pending, func(a *ask) bool { return a.done })
	}
	tally.failed = len(pending)
	return tally
}

// waitFingersLive runs until no live node has a finger at a node that is not running, at most
// fingerRefresh (see there: a lookup routed through such a finger times out).
func (m *mergeRun) waitFingersLive(t testing.TB) time.Duration {
	from := m.s.Now()
	var last string
	ok := m.s.WaitFor(func() bool {
		last = ""
		for _, p := range Peers(m.s) {
			for _, f := range p.P.State().FingerNodes {
				if last == "" && m.s.Machine(f.Addr) == nil {
					last = p.Addr + " has finger " + f.Addr
				}
			}
		}
		return last == ""
	}, time.Second, from.Add(fingerRefresh))
	require.True(t, ok, "fingers still point at crashed nodes after %v: %s", fingerRefresh, last)
	return m.s.Now().Sub(from)
}

// TestMergeScenarios: at N=64 (F=3), a 3-way even split, 2- and 3-way uneven splits (8 and 56;
// 8, 16 and 40 nodes), a 2-way split kept apart 3 minutes (one ring within 30 γ), and even 2- and 3-way splits with churn at the heal (3 crashes, 3 joins) each become
// one ring with no two owners over all live nodes. Then 200 lookups of random keys from random
// nodes: the ring stays one with no two owners meanwhile, no lookup is answered by a node other
// than the true owner, and all are answered (a lookup lost with a message is asked again).
// After churn, fingers may still point at crashed nodes for up to fingerRefresh, and lookups
// through them time out: those must still never be answered wrongly, and once the fingers are
// refreshed, 200 more are all answered. Before the heal, every group of a split must have
// become one ring of its own within 2 min — the small sides of uneven splits too, whose nodes'
// successor lists held mostly nodes of the other side (they used to be left in pieces: the
// ring now checks a cut-off run of neighbours at once and falls back to every node it knows,
// and the partition layer searches for the other pieces after a removal). TestMergeSeeds runs
// 100 seeds of small splits; this covers the table's scenarios at N=64; loopy rings are
// TestLoopyRingsAreRepaired's.
func TestMergeScenarios(t *testing.T) {
	for _, c := range []struct {
		sc string
		k  int
	}{{scEven, 3}, {scUneven, 2}, {scUneven, 3}, {scChurn, 2}, {scChurn, 3}, {scLong, 2}} {
		t.Run(fmt.Sprintf("%s/k=%d", c.sc, c.k), func(t *testing.T) {
			simtest.Seeds(t, 3, func(t *testing.T, seed int64) {
				res := mergeExperiment(t, seed, 64, c.k, c.sc, mergeConfig(3), 2*time.Minute, 5*time.Minute, 200)
				if res.sides != nil && res.unknown != "" {
					// No protocol can do better (an uneven split of 8 at N=64 leaves a node whose
					// tables never held any of the other 7, and vice versa, in about 1 seed of 10).
					t.Logf("the groups were not each one ring before the heal, but they could not be: %s", res.unknown)
				} else {
					require.NoError(t, res.sides, "the groups were not each one ring of their own before the heal (%d nodes stranded), though their nodes know each other", res.stranded)
				}
				t.Logf("the groups were apart %v", res.apart)
				require.True(t, res.one, "no single ring after %v: %v", res.took, ringsOK(res.m.s, [][]string{res.m.names}))
				if c.sc == scLong {
					// Passive nodes are probed as often after minutes apart as after seconds:
					// the heal is noticed and the rings zipped within a few periods γ (this
					// took 60–120 γ when probing slowed to every 30 s after 2 min apart).
					require.Less(t, res.took, 30*mergeGamma(mergeConfig(3)), "merge after a long split")
				}
				t.Logf("one ring of %d after %v, %.1f partition messages per node; lookups %v", res.nodes, res.took, res.msgs, res.lookups)
				require.Empty(t, res.lookups.relapse, "the ring did not stay one ring with no two owners")
				require.Zero(t, res.lookups.wrong, "wrong lookup answers: %s", res.lookups.first)
				if c.sc == scChurn {
					took := res.m.waitFingersLive(t)
					again := res.m.lookups(t, rand.New(rand.NewPCG(uint64(seed), 18)), 200, true)
					t.Logf("fingers live %v later; lookups %v", took, again)
					require.Empty(t, again.relapse, "the ring did not stay one ring with no two owners")
					require.Zero(t, again.wrong, "wrong lookup answers: %s", again.first)
					require.Zero(t, again.failed, "lookups unanswered after retries")
					return
				}
				require.Zero(t, res.lookups.failed, "lookups unanswered after retries")
			})
		})
	}
}

// TestLoopyRingsAreRepaired: a loopy ring of 64 nodes (one successor cycle wrapping the id
// space k times, built with ring.Adopt) becomes one proper ring, with and without a Detect.
// Found with the merge table: without a trigger every node's tables held only nodes of its own
// loop and nobody was on a passive list, so the partition layer sent no message at all (every
// key had two owners, half the lookups went to the wrong node); with one Detect the routed
// mlookup sometimes ended at the target's loop predecessor, which took it for a false
// detection (seed 2: 15 hops, stopping at n44, whose successor is n14 though n40 lies between).
// The self-check now routes the node's own id from its farthest finger when it knows no node
// outside its view, and some such lookup ends at a node of the other winding.
func TestLoopyRingsAreRepaired(t *testing.T) {
	for _, sc := range []string{scLoopy, scLoopyDetect} {
		for _, k := range []int{2, 3} {
			t.Run(fmt.Sprintf("%s/k=%d", sc, k), func(t *testing.T) {
				simtest.Seeds(t, 3, func(t *testing.T, seed int64) {
					res := mergeExperiment(t, seed, 64, k, sc, mergeConfig(3), 0, 5*time.Minute, 200)
					require.True(t, res.one, "seed %d: loopy ring not repaired in %v: %.1f partition messages per node; %v",
						seed, res.took, res.msgs, ringsOK(res.m.s, [][]string{res.m.names}))
					t.Logf("one ring after %v, %.1f partition messages per node; lookups %v", res.took, res.msgs, res.lookups)
					require.Empty(t, res.lookups.relapse, "seed %d: the ring did not stay one ring with no two owners", seed)
					require.Zero(t, res.lookups.wrong, "seed %d: wrong lookup answers: %s", seed, res.lookups.first)
				})
			})
		}
	}
}

// TestMergeWithACrashedPredecessor is a regression test (seeds 15 and 6 of the churn scenario):
// N=64 split in two, healed while 3 nodes crash and 3 join. When the ring was first one, n63's
// predecessor was still the crashed n25, which lies closer than the live n55, so n55's
// stabilisations were refused; when n25 was removed, n63 fell back to the next entry of its
// predecessor list, n36, from its side of the partition and farther back than n55, and owned
// (n36, n63] — n55's id included — until n55's next stabilisation (~0.45 s). (Seed 6: a newcomer
// that joined with the crashed n32 as predecessor was left with none.) The ring now keeps a
// refused stabiliser in its predecessor list, nearest first, and falls back to it.
func TestMergeWithACrashedPredecessor(t *testing.T) {
	for _, seed := range []int64{15, 6} {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			res := mergeExperiment(t, seed, 64, 2, scChurn, mergeConfig(3), 2*time.Minute, 5*time.Minute, 200)
			require.True(t, res.one, "seed %d: not one ring in %v: %v", seed, res.took, ringsOK(res.m.s, [][]string{res.m.names}))
			require.Empty(t, res.lookups.relapse, "seed %d: the ring did not stay one ring with no two owners", seed)
			require.Zero(t, res.lookups.wrong, "seed %d: wrong lookup answers: %s", seed, res.lookups.first)
		})
	}
}

var (
	mergeTableN = flag.String("sim.mergetable.n", "16,64,256,1024", "BenchmarkRingMerge: the sizes N, comma-separated")
	mergeTableF = flag.String("sim.mergetable.f", "1,3,8", "BenchmarkRingMerge: the fan-outs F, comma-separated")
	// A subset of the scenarios, for working on one of them; empty: all.
	mergeTableSc = flag.String("sim.mergetable.sc", "", "BenchmarkRingMerge: the scenarios (even, uneven, churn, loopy+D, loopy), comma-separated; empty: all")
)

func intList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("list %q: %w", s, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// runMergeTable runs every scenario for every N and F (each a fresh world from seed 1) and
// prints one row per experiment. Left out: the loopy ring without a trigger except at F=3 (from
// N=64 on it sends no partition message at all, so F plays no part) and, to keep the table
// under ~15 min on 2 cores, the uneven and the long split at N=1024 except at F=3.
func runMergeTable(b *testing.B) {
	ns, err := intList(*mergeTableN)
	require.NoError(b, err)
	fs, err := intList(*mergeTableF)
	require.NoError(b, err)
	fmt.Print(mergeTableHeader)
	for _, n := range ns {
		for _, f := range fs {
			cfg := mergeConfig(f)
			for _, sc := range []string{scEven, scUneven, scChurn, scLong, scLoopyDetect, scLoopy} {
				if *mergeTableSc != "" && !slices.Contains(strings.Split(*mergeTableSc, ","), sc) {
					continue
				}
				if sc == scLoopy && f != 3 && slices.Contains(fs, 3) {
					continue
				}
				if (sc == scUneven || sc == scLong) && n >= 1024 && f != 3 && slices.Contains(fs, 3) {
					continue // ~1 min a row: the table would take over 15 min on 2 cores
				}
				for _, k := range []int{2, 3} {
					limit := 10 * time.Minute
					switch sc {
					case scLoopyDetect:
						limit = 2 * time.Minute // a repair that starts takes a few γ; one that does not start never will
					case scLoopy:
						limit = time.Minute // no trigger: from N=64 on, nothing happens at all (TestLoopyRingWithoutTrigger)
					}
					start := time.Now()
					res := mergeExperiment(b, 1, n, k, sc, cfg, 3*time.Minute, limit, 200)
					// Row by row: the table takes minutes.
					fmt.Print(formatMergeRow(mergeTableRow{n: n, f: f, k: k, sc: sc, res: res, gamma: mergeGamma(cfg), wall: time.Since(start)}))
				}
			}
		}
	}
}

// mergeGamma is the partition period γ the table's times are given in.
func mergeGamma(cfg core.Config) time.Duration {
	if cfg.Part.Period > 0 {
		return cfg.Part.Period
	}
	return 500 * time.Millisecond // partition.Config's default
}

// mergeTableRow is one row of BenchmarkRingMerge's table.
type mergeTableRow struct {
	n, f, k int
	sc      string
	res     mergeResult
	gamma   time.Duration
	wall    time.Duration
}

const mergeTableHeader = `Ring merge: time to one ring in partition periods γ (500 ms virtual), from the heal (loopy: from
the loop being built) to one ring with no two owners over all live nodes (">x": not within x);
msgs/node = partition-layer messages (probe, probe-reply, mlookup, trymerge) sent per live node
meanwhile; lookups = 200 random keys from random nodes right after, checked against the true owner
(a timed-out lookup is asked again, at most twice); RELAPSE: the ring, one with no two owners when
the lookups started, was not at some check (every 50 ms) while they ran. k = groups of the split
(loopy: windings of the successor cycle). Scenarios: even (random groups of equal size), uneven
(~N/8 vs the rest; k=3: ~N/8, ~N/4, the rest), churn (even; at the heal 5% crash and as many
join), long (even, apart 3 min more), loopy+D / loopy (one successor cycle wrapping the id space
k times, with / without one Detect). sides = ok if each group of the split was one ring of its
own at the heal (3 min limit), else "x!" with x the nodes whose successor within their group was
wrong, or "x?" if moreover a group fell into parts whose nodes know nothing of each other (no
node's tables or partition layer hold a node of another part: nothing can join them); apart =
how long the groups were apart, virtual (passive nodes are probed with a per-entry backoff
capped at 3 s within a budget of 2 probes per γ, whatever the length of the split).
wall = wall-clock time of the row (setup included), for planning runs only.
     N  F  k scenario sides apart  γ to ring  msgs/node  nodes  lookups                                     wall
`

func formatMergeRow(r mergeTableRow) string {
	periods := fmt.Sprintf("%.1f", float64(r.res.took)/float64(r.gamma))
	if !r.res.one {
		periods = fmt.Sprintf(">%.0f", float64(r.res.took)/float64(r.gamma))
	}
	sides, apart := "ok", fmt.Sprintf("%.0fs", r.res.apart.Seconds())
	switch {
	case r.sc == scLoopy || r.sc == scLoopyDetect:
		sides, apart = "-", "-"
	case r.res.sides != nil && r.res.unknown != "":
		sides = fmt.Sprintf("%d?", r.res.stranded)
	case r.res.sides != nil:
		sides = fmt.Sprintf("%d!", r.res.stranded)
	}
	return fmt.Sprintf("%6d %2d %2d %-8s %5s %5s %10s %10.1f %6d  %-40s %7s\n", r.n, r.f, r.k, r.sc, sides, apart,
		periods, r.res.msgs, r.res.nodes, r.res.lookups, r.wall.Round(100*time.Millisecond))
}
