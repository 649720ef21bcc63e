package sim

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/detrans/detrans/core"
	"github.com/detrans/detrans/partition"
	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/sim/simtest"
	"github.com/detrans/detrans/txn"
	"github.com/stretchr/testify/require"
)

var traceMerge io.Writer

var mergeTable = flag.Bool("sim.mergetable", false, "print the ring-merge table (N × F × scenario) in BenchmarkRingMerge")

// mergeRun is one split-and-heal experiment with full peers.
type mergeRun struct {
	s      *Sim[core.Msg]
	names  []string
	groups [][]string
}

// splitWorld starts n peers (n0 founds, the rest join through three earlier ones), lets them
// settle, then cuts them into k random groups and waits until each group is a ring of its own.
func splitWorld(t testing.TB, seed int64, n, k int, cfg core.Config) *mergeRun {
	return splitWorldOpt(t, seed, n, k, cfg, true)
}

// splitWorldOpt is splitWorld; settle says whether to wait for the replica groups too (not
// needed when only the rings are measured).
func splitWorldOpt(t testing.TB, seed int64, n, k int, cfg core.Config, settle bool) *mergeRun {
	link := Link{Latency: 5 * time.Millisecond, Jitter: 2 * time.Millisecond, Loss: 0.002}
	pc := PeerConfig(seed, cfg, link, "n0")
	if traceMerge != nil {
		pc.Trace = traceMerge
	}
	s := MustNew(pc)
	r := rand.New(rand.NewPCG(uint64(seed), 5))
	names := []string{"n0"}
	require.NoError(t, s.Start("n0"))
	for i := 1; i < n; i++ {
		name := fmt.Sprint("n", i)
		var contacts []string
		for range 3 {
			contacts = append(contacts, names[r.IntN(len(names))])
		}
		names = append(names, name)
		s.At(ring.Time(time.Duration(i)*20*time.Millisecond), func() { require.NoError(t, s.Start(name, contacts...)) })
	}
	var last error
	ok := s.WaitFor(func() bool { last = ringsOK(s, [][]string{names}); return last == nil }, time.Second, s.Now().Add(5*time.Minute))
	require.True(t, ok, "no ring before the split: %v", last)
	if settle {
		ok = s.WaitFor(func() bool { last = CheckPeersSettled(s); return last == nil }, time.Second, s.Now().Add(5*time.Minute))
		require.True(t, ok, "replica groups did not settle before the split: %v", last)
	}
	s.RunFor(20 * time.Second) // a ring that has lived a little: full successor lists, fingers

	groups := make([][]string, k)
	perm := r.Perm(n)
	for i, j := range perm {
		groups[i%k] = append(groups[i%k], names[j])
	}
	for _, g := range groups {
		slices.Sort(g)
	}
	s.Partition(groups...)
	ok = s.WaitFor(func() bool { last = ringsOK(s, groups); return last == nil }, time.Second, s.Now().Add(5*time.Minute))
	require.True(t, ok, "the sides did not settle into rings of their own: %v\n%s", last, dumpPeers(s, groups))
	return &mergeRun{s: s, names: names, groups: groups}
}

// ringsOK checks that each group of nodes forms one ring of its own, with no two owners.
func ringsOK(s *Sim[core.Msg], groups [][]string) error {
	for _, g := range groups {
		var states []ring.State
		for _, name := range g {
			p, ok := s.Machine(name).(*Peer)
			if !ok || p.P == nil {
				return fmt.Errorf("%s is not running", name)
			}
			st := p.P.State()
			if !st.Joined {
				return fmt.Errorf("%s has not joined", name)
			}
			states = append(states, st)
		}
		if err := CheckOneRing(states); err != nil {
			return err
		}
		if err := CheckNoTwoOwners(states); err != nil {
			return err
		}
	}
	return nil
}

// heal ends the partition and waits for one ring; it returns the virtual time that took and
// the partition-layer messages sent per node meanwhile.
func (m *mergeRun) heal(t testing.TB, limit time.Duration) (time.Duration, float64) {
	before := m.partSent()
	start := m.s.Now()
	m.s.Heal()
	var last error
	ok := m.s.WaitFor(func() bool { last = ringsOK(m.s, [][]string{m.names}); return last == nil }, 100*time.Millisecond, start.Add(limit))
	require.True(t, ok, "no single ring %v after the heal: %v", limit, last)
	return m.s.Now().Sub(start), float64(m.partSent()-before) / float64(len(m.names))
}

func (m *mergeRun) partSent() int {
	total := 0
	for _, p := range Peers(m.s) {
		for _, c := range p.P.Part.Sent() {
			total += c
		}
	}
	return total
}

func mergeConfig(fanout int) core.Config {
	// 16 replica groups instead of 64: the same protocol, a quarter of the simulation work.
	return core.Config{Part: partition.Config{Fanout: fanout}, Txn: txn.Config{Placement: txn.Placement{Groups: 16, Replicas: 3}}}
}

// TestRingsMergeAfterHeal: 2- and 3-way splits of 16 and 64 peers settle into separate rings;
// after the heal they become one ring, with no two owners, by themselves.
func TestRingsMergeAfterHeal(t *testing.T) {
	for _, c := range []struct{ n, k int }{{16, 2}, {16, 3}, {64, 2}, {64, 3}} {
		t.Run(fmt.Sprintf("N=%d/groups=%d", c.n, c.k), func(t *testing.T) {
			simtest.Seeds(t, 3, func(t *testing.T, seed int64) {
				m := splitWorld(t, seed, c.n, c.k, mergeConfig(3))
				took, msgs := m.heal(t, 5*time.Minute)
				t.Logf("one ring %v after the heal, %.1f partition messages per node", took, msgs)
				var last error
				ok := m.s.WaitFor(func() bool { last = CheckPeersSettled(m.s); return last == nil }, time.Second, m.s.Now().Add(5*time.Minute))
				require.True(t, ok, "replica groups did not settle on the merged ring: %v", last)
			})
		})
	}
}

// TestFalseDetectionIsCheap: a probe answered by a node that is in our ring after all costs a
// routed mlookup that stops where the node sits, and changes nothing.
func TestFalseDetectionIsCheap(t *testing.T) {
	cfg := mergeConfig(3)
	cfg.Part.CheckPeriod = time.Hour // no periodic self-checks: count only what the detection costs
	m := splitWorld(t, 7, 16, 1, cfg)
	before := m.partSent()
	p := m.s.Machine("n3").(*Peer)
	other := m.s.Machine("n9").(*Peer).P.Self()
	require.NoError(t, m.s.Do("n3", func(Machine[core.Msg]) {
		p.P.Part.OnRingEvent(m.s.Now(), ring.Event{Kind: ring.EvPassiveContact, Node: other})
	}))
	m.s.RunFor(5 * time.Second)
	require.NoError(t, ringsOK(m.s, [][]string{m.names}))
	require.LessOrEqual(t, m.partSent()-before, 8, "a false detection costs a few routed messages")
}

// TestMergeSeeds: random splits into 2–3 groups of random sizes (uneven ones included) lasting
// 5–60 s, churn while the rings merge (one crash, one new peer), and writes from both sides
// during the split. After the heal: one ring, settled replica groups, and every acknowledged
// write readable. 100 seeds in CI; -seeds=N for more.
func TestMergeSeeds(t *testing.T) { simtest.Seeds(t, 100, mergeSeedsRun) }

// writer runs simple client operations on peers and waits for them in virtual time.
type writer struct{ s *Sim[core.Msg] }

func newWriter(s *Sim[core.Msg]) *writer { return &writer{s: s} }

func (w *writer) await(t testing.TB, addr string, id uint64) txn.Event {
	var ev txn.Event
	found := false
	w.s.WaitFor(func() bool {
		p, _ := w.s.Machine(addr).(*Peer)
		if p == nil {
			return true
		}
		for _, e := range p.TxnEvents {
			if e.ReqID == id && (e.Kind == txn.EvReadDone || e.Kind == txn.EvCommitDone) {
				ev, found = e, true
			}
		}
		return found
	}, 10*time.Millisecond, w.s.Now().Add(20*time.Second))
	if !found {
		ev.Err = txn.ErrNoQuorum
	}
	return ev
}

func (w *writer) read(t testing.TB, addr, key string) txn.Event {
	var id uint64
	require.NoError(t, w.s.Do(addr, func(m Machine[core.Msg]) { id = m.(*Peer).P.Read(w.s.Now(), []byte(key)) }))
	return w.await(t, addr, id)
}

// put reads then commits key=val on peer addr; it reports whether the commit was acknowledged.
func (w *writer) put(t testing.TB, addr, key, val string) bool {
	r := w.read(t, addr, key)
	if r.Err != nil {
		return false
	}
	var id uint64
	require.NoError(t, w.s.Do(addr, func(m Machine[core.Msg]) {
		id = m.(*Peer).P.Commit(w.s.Now(), txn.TxSpec{Ops: []txn.Op{{Key: []byte(key), ReadVersion: r.Version, Write: true, Value: []byte(val)}}})
	}))
	return w.await(t, addr, id).Err == nil
}

func (w *writer) get(t testing.TB, addr, key string) (string, bool) {
	r := w.read(t, addr, key)
	require.NoError(t, r.Err, "read %s at %s", key, addr)
	return string(r.Value), r.Found
}

// BenchmarkRingMerge prints the ring-merge table (merge_table_test.go): for N ∈ {16, 64, 256,
// 1024} and fan-outs F ∈ {1, 3, 8}, splits into 2 and 3 groups (even, uneven, with churn at the
// heal) and loopy rings, the time to one ring in merge periods γ, partition-layer messages per
// node and whether lookups are answered by the true owner afterwards. It takes a while;
// -sim.mergetable.n and -sim.mergetable.f pick sizes and fan-outs:
//
//	go test -run '^$' -bench BenchmarkRingMerge -sim.mergetable ./sim/
func BenchmarkRingMerge(b *testing.B) {
	if !*mergeTable {
		b.Skip("prints a table: run with -sim.mergetable")
	}
	runMergeTable(b)
}

// dumpPeers describes each group's peers' ring view, for failure messages.
func dumpPeers(s *Sim[core.Msg], groups [][]string) string {
	out := ""
	for i, g := range groups {
		out += fmt.Sprintf("group %d:\n", i)
		for _, name := range g {
			p, ok := s.Machine(name).(*Peer)
			if !ok || p.P == nil {
				continue
			}
			st := p.P.State()
			out += fmt.Sprintf("  %s %s pred=%s succs=%v fingers=%v passive=%d part=%v\n", name, st.Self.ID.Short(), st.Pred.Addr, refAddrs(st.Succs), refAddrs(st.FingerNodes), len(st.Passive), p.P.Part.Sent())
		}
	}
	return out
}

func refAddrs(l []ring.NodeRef) []string {
	var out []string
	for _, r := range l {
		out = append(out, r.Addr)
	}
	return out
}
