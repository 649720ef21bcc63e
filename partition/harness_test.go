package partition

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/detrans/detrans/ring"
	"github.com/stretchr/testify/require"
)

// world is a tiny deterministic driver for the partition layer's own tests: real ring.Nodes
// with their partition Machines, a fake clock advanced in steps of 5 ms, every message delivered
// one step after it was sent (partition messages through the codec), and a cut between
// addresses. The simulator (sim/) does the same at scale; this keeps these tests small and fast.
type world struct {
	t     testing.TB
	now   ring.Time
	cfg   Config
	peers map[string]*peer
	order []string // start order, for deterministic iteration
	q     []delivery
	cut   func(from, to string) bool
	log   []sentMsg // every partition message sent
}

type peer struct {
	r *ring.Node
	p *Machine
}

type delivery struct {
	to string
	rm *ring.Message
	pm *Message
}

type sentMsg struct {
	at  ring.Time
	msg Message
}

const step = 5 * time.Millisecond

func newWorld(t testing.TB, cfg Config) *world {
	return &world{t: t, cfg: cfg, peers: map[string]*peer{}, now: ring.Time(time.Second)}
}

func nodeRef(name string, inc uint64) ring.NodeRef {
	return ring.NodeRef{ID: ring.HashKey([]byte(name)), Addr: name, Inc: inc}
}

// start creates incarnation inc of name (a restart if name ran before) and joins it through
// contacts; with none it is a ring of its own.
func (w *world) start(name string, inc uint64, contacts ...string) *peer {
	r := ring.New(ring.Config{}, nodeRef(name, inc), int64(len(w.order)+1))
	p := &peer{r: r, p: New(w.cfg, r, int64(len(w.order)+100))}
	if _, ok := w.peers[name]; !ok {
		w.order = append(w.order, name)
	}
	w.peers[name] = p
	var cs []ring.NodeRef
	for _, c := range contacts {
		cs = append(cs, w.peers[c].r.Self())
	}
	r.Bootstrap(w.now, cs)
	w.flush(p)
	return p
}

// flush collects a peer's output the way core.Peer does: ring events go to the partition layer
// first, then both layers' messages are queued.
func (w *world) flush(pe *peer) {
	ro := pe.r.Ready()
	for _, ev := range ro.Events {
		pe.p.OnRingEvent(w.now, ev)
	}
	pm, _ := pe.p.Ready()
	for i := range ro.Msgs {
		w.send(ro.Msgs[i].To.Addr, &ro.Msgs[i], nil)
	}
	for _, m := range pm {
		b, err := m.MarshalBinary()
		require.NoError(w.t, err)
		var got Message
		require.NoError(w.t, got.UnmarshalBinary(b))
		w.log = append(w.log, sentMsg{at: w.now, msg: got})
		w.send(got.To.Addr, nil, &got)
	}
}

func (w *world) send(to string, rm *ring.Message, pm *Message) {
	from := ""
	if rm != nil {
		from = rm.From.Addr
	} else {
		from = pm.From.Addr
	}
	if w.cut != nil && w.cut(from, to) {
		return
	}
	w.q = append(w.q, delivery{to: to, rm: rm, pm: pm})
}

// run advances the clock by d: each step delivers what was sent in the previous one, then ticks
// every node (drivers may tick periodically; both layers allow it).
func (w *world) run(d time.Duration) {
	end := w.now.Add(d)
	for w.now < end {
		w.now = w.now.Add(step)
		q := w.q
		w.q = nil
		for _, dl := range q {
			pe := w.peers[dl.to]
			if pe == nil {
				continue
			}
			if w.cut != nil && w.cut(srcOf(dl), dl.to) {
				continue
			}
			if dl.rm != nil {
				pe.r.Step(w.now, *dl.rm)
			} else {
				pe.p.Step(w.now, *dl.pm)
			}
			w.flush(pe)
		}
		for _, name := range w.order {
			pe := w.peers[name]
			pe.r.Tick(w.now)
			pe.p.Tick(w.now)
			w.flush(pe)
		}
	}
}

func srcOf(d delivery) string {
	if d.rm != nil {
		return d.rm.From.Addr
	}
	return d.pm.From.Addr
}

// split cuts the named groups from each other (nodes not named form a group of their own).
func (w *world) split(groups ...[]string) {
	side := map[string]int{}
	for i, g := range groups {
		for _, a := range g {
			side[a] = i + 1
		}
	}
	w.cut = func(a, b string) bool { return side[a] != side[b] }
}

func (w *world) heal() { w.cut = nil }

// ringOf checks that names form one ring: in id order, each one's first successor is the next
// and its predecessor the previous.
func (w *world) ringOf(names ...string) error {
	sorted := slices.Clone(names)
	slices.SortFunc(sorted, func(a, b string) int { return nodeRef(a, 0).ID.Cmp(nodeRef(b, 0).ID) })
	for i, a := range sorted {
		st := w.peers[a].r.State()
		next, prev := sorted[(i+1)%len(sorted)], sorted[(i+len(sorted)-1)%len(sorted)]
		if !st.Joined || len(st.Succs) == 0 || st.Succs[0].Addr != next || st.Pred.Addr != prev {
			return fmt.Errorf("%s: succs %v pred %s, want succ %s pred %s", a, addrs(st.Succs), st.Pred.Addr, next, prev)
		}
	}
	return nil
}

// runUntil runs in steps of γ until cond holds, at most limit; it returns the time it took.
func (w *world) runUntil(limit time.Duration, cond func() bool) (time.Duration, bool) {
	from := w.now
	for w.now.Sub(from) < limit {
		if cond() {
			return w.now.Sub(from), true
		}
		w.run(100 * time.Millisecond)
	}
	return w.now.Sub(from), cond()
}

// countSent counts the partition messages of type t sent since from (all types if t is 0).
func (w *world) countSent(from ring.Time, t MsgType) int {
	n := 0
	for _, s := range w.log {
		if s.at >= from && (t == 0 || s.msg.Type == t) {
			n++
		}
	}
	return n
}

func passiveAddrs(r *ring.Node) []string {
	var out []string
	for _, e := range r.State().Passive {
		out = append(out, e.Node.Addr)
	}
	return out
}

func addrs(l []ring.NodeRef) []string {
	var out []string
	for _, r := range l {
		out = append(out, r.Addr)
	}
	return out
}

// build starts names as one ring (the first founds it, the others join through it) and waits
// until it is one.
func (w *world) build(names ...string) {
	w.start(names[0], 1)
	for _, n := range names[1:] {
		w.start(n, 1, names[0])
		w.run(50 * time.Millisecond)
	}
	_, ok := w.runUntil(time.Minute, func() bool { return w.ringOf(names...) == nil })
	require.True(w.t, ok, "no ring: %v", w.ringOf(names...))
	w.run(15 * time.Second) // fingers
}
