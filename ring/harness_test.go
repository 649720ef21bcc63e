package ring

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// net is a tiny deterministic network for the ring's own unit tests: a heap of deliveries and
// ticks in virtual time, seeded latencies, crash and partition by address. The full simulator
// (sim/) does much more; this keeps ring tests free of other packages.
type net struct {
	t       testing.TB
	now     Time
	rng     *rand.Rand
	nodes   map[string]*Node
	order   []string // insertion order, for deterministic iteration
	q       evq
	seq     uint64
	wake    map[string]Time
	dead    map[string]bool
	cut     func(from, to string) bool
	events  map[string][]Event
	sent    int
	latency func() time.Duration
}

var traceJoin string

type ev struct {
	at   Time
	seq  uint64
	to   string
	msg  *Message
	tick bool
}

type evq []ev

func (q evq) Len() int { return len(q) }
func (q evq) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q evq) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *evq) Push(x any)   { *q = append(*q, x.(ev)) }
func (q *evq) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

func newNet(t testing.TB, seed uint64) *net {
	r := rand.New(rand.NewPCG(seed, seed+1))
	return &net{
		t: t, rng: r, nodes: map[string]*Node{}, wake: map[string]Time{}, dead: map[string]bool{},
		events: map[string][]Event{},
		latency: func() time.Duration {
			return time.Millisecond + time.Duration(r.Int64N(int64(9*time.Millisecond)))
		},
	}
}

func testCfg() Config {
	return Config{FingerPeriod: 2 * time.Second}
}

func ref(name string, inc uint64) NodeRef {
	return NodeRef{ID: HashKey([]byte(name)), Addr: name, Inc: inc}
}

// add creates a node and bootstraps it through contacts.
func (w *net) add(name string, inc uint64, contacts ...string) *Node {
	n := New(testCfg(), ref(name, inc), int64(len(w.order)+1))
	if _, ok := w.nodes[name]; !ok {
		w.order = append(w.order, name)
	}
	w.nodes[name] = n
	delete(w.dead, name)
	var cs []NodeRef
	for _, c := range contacts {
		cs = append(cs, w.nodes[c].Self())
	}
	n.Bootstrap(w.now, cs)
	w.flush(name)
	return n
}

func (w *net) push(e ev) {
	w.seq++
	e.seq = w.seq
	heap.Push(&w.q, e)
}

func (w *net) flush(name string) {
	n := w.nodes[name]
	out := n.Ready()
	w.events[name] = append(w.events[name], out.Events...)
	for i := range out.Msgs {
		m := out.Msgs[i]
		w.sent++
		if w.cut != nil && w.cut(name, m.To.Addr) {
			continue
		}
		// Every message crosses the codec, as over the network.
		b, err := m.MarshalBinary()
		if err != nil {
			w.t.Fatalf("encode %v: %v", m.Type, err)
		}
		var d Message
		if err := d.UnmarshalBinary(b); err != nil {
			w.t.Fatalf("decode %v: %v", m.Type, err)
		}
		if traceJoin != "" && (m.Origin.Addr == traceJoin || m.To.Addr == traceJoin || m.From.Addr == traceJoin) && m.Type != MsgStabilize && m.Type != MsgStabReply {
			fmt.Println(w.now, m.Type, m.From.Addr, "->", m.To.Addr, "origin", m.Origin.Addr, "hops", m.Hops, "key", m.Key.Short())
			if m.Type == MsgJoin {
				st := n.State()
				fmt.Printf("   at %s pred=%s succs=%v preds=%v fingers=%v\n", name, st.Pred.Addr, addrs(st.Succs), addrs(st.Preds), addrs(st.FingerNodes))
			}
		}
		w.push(ev{at: w.now.Add(w.latency()), to: m.To.Addr, msg: &d})
	}
	if out.Wake != 0 && (w.wake[name] == 0 || out.Wake != w.wake[name]) {
		at := max(out.Wake, w.now+1)
		w.wake[name] = at
		w.push(ev{at: at, to: name, tick: true})
	}
}

func (w *net) crash(name string) { w.dead[name] = true }

// run processes events until virtual time reaches until.
func (w *net) run(d time.Duration) {
	until := w.now.Add(d)
	for w.q.Len() > 0 && w.q[0].at <= until {
		e := heap.Pop(&w.q).(ev)
		w.now = e.at
		n, ok := w.nodes[e.to]
		if !ok || w.dead[e.to] {
			continue
		}
		if e.tick {
			if w.wake[e.to] != e.at {
				continue // superseded
			}
			w.wake[e.to] = 0
			n.Tick(w.now)
		} else {
			if w.cut != nil && w.cut(e.msg.From.Addr, e.to) {
				continue
			}
			n.Step(w.now, *e.msg)
		}
		w.flush(e.to)
	}
	w.now = until
}

func (w *net) live() []*Node {
	var out []*Node
	for _, name := range w.order {
		if !w.dead[name] && !w.nodes[name].left {
			out = append(out, w.nodes[name])
		}
	}
	return out
}

// ringOK checks that the live nodes form one ring with exact successors and predecessors.
func ringOK(nodes []*Node) error {
	sorted := slices.Clone(nodes)
	slices.SortFunc(sorted, func(a, b *Node) int { return a.self.ID.Cmp(b.self.ID) })
	for i, n := range sorted {
		st := n.State()
		next := sorted[(i+1)%len(sorted)].self
		prev := sorted[(i+len(sorted)-1)%len(sorted)].self
		if !st.Joined {
			return fmt.Errorf("%s not joined", n.self.Addr)
		}
		if st.Succs[0].Addr != next.Addr {
			return fmt.Errorf("%s: succ %s, want %s", n.self.Addr, st.Succs[0].Addr, next.Addr)
		}
		if st.Pred.Addr != prev.Addr {
			return fmt.Errorf("%s: pred %s, want %s", n.self.Addr, st.Pred.Addr, prev.Addr)
		}
	}
	return nil
}

// lookup runs a lookup from n and returns the event that ends it.
func (w *net) lookup(n *Node, key ID) Event {
	id := n.Lookup(w.now, key)
	name := n.self.Addr
	w.flush(name)
	for range 1000 {
		for _, e := range w.events[name] {
			if (e.Kind == EvLookupDone || e.Kind == EvLookupFailed) && e.ReqID == id {
				return e
			}
		}
		w.run(10 * time.Millisecond)
	}
	w.t.Fatalf("lookup %d never finished", id)
	return Event{}
}

func trueOwner(nodes []*Node, key ID) NodeRef {
	var best NodeRef
	var bestD ID
	for _, n := range nodes {
		d := key.Dist(n.self.ID)
		if best.IsZero() || d.Less(bestD) {
			best, bestD = n.self, d
		}
	}
	return best
}

// dump prints every node's view, sorted by ring id, for debugging a failing seed.
func (w *net) dump() string {
	var names []string
	names = append(names, w.order...)
	slices.SortFunc(names, func(a, b string) int { return w.nodes[a].self.ID.Cmp(w.nodes[b].self.ID) })
	s := ""
	for _, name := range names {
		n := w.nodes[name]
		st := n.State()
		status := "live"
		if w.dead[name] {
			status = "dead"
		} else if n.left {
			status = "left"
		}
		s += fmt.Sprintf("%-4s %s inc=%d %s joined=%v pred=%s succs=", name, st.Self.ID.Short(), st.Self.Inc, status, st.Joined, st.Pred.Addr)
		for _, r := range st.Succs {
			s += r.Addr + " "
		}
		s += " preds="
		for _, r := range st.Preds {
			s += r.Addr + " "
		}
		s += " suspects="
		for _, r := range st.Suspected {
			s += r.Addr + " "
		}
		s += "\n"
	}
	return s
}

func addrs(l []NodeRef) []string {
	var out []string
	for _, r := range l {
		out = append(out, r.Addr+"@"+r.ID.Short())
	}
	return out
}
