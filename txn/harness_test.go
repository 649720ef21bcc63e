package txn

import (
	"container/heap"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/store"
	"github.com/stretchr/testify/require"
)

// cluster is a small deterministic network for the transaction layer's own tests. The ring is
// not run: every live node is told the exact ring of live nodes (what a converged ring layer
// would report), so these tests isolate the store protocols. Every message crosses the codec.
type cluster struct {
	t      testing.TB
	now    Time
	rng    *rand.Rand
	cfg    Config
	nodes  map[string]*tnode
	order  []string
	q      tq
	seq    uint64
	cut    map[[2]string]bool
	events map[string][]Event
	sent   int
	watch  func(Message)
	delay  func(Message) time.Duration // extra latency for a message on the wire (nil: none)
}

type tnode struct {
	name   string
	ref    ring.NodeRef
	m      *Machine
	st     *store.Store
	dead   bool
	wake   Time
	inc    uint64
	inRing bool
}

type tev struct {
	at   Time
	seq  uint64
	to   string
	msg  []byte
	tick bool
}

type tq []tev

func (q tq) Len() int { return len(q) }
func (q tq) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q tq) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *tq) Push(x any)   { *q = append(*q, x.(tev)) }
func (q *tq) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

func testConfig() Config {
	return Config{Placement: Placement{Groups: 8, Replicas: 3}}
}

func newCluster(t testing.TB, seed uint64, cfg Config) *cluster {
	return &cluster{t: t, rng: rand.New(rand.NewPCG(seed, 1)), cfg: cfg, nodes: map[string]*tnode{}, cut: map[[2]string]bool{}, events: map[string][]Event{}}
}

func (c *cluster) start(name string, create bool) *tnode {
	n := c.nodes[name]
	if n == nil {
		n = &tnode{name: name, st: store.NewMemory()}
		c.nodes[name] = n
		c.order = append(c.order, name)
	}
	n.inc++
	n.ref = ring.NodeRef{ID: ring.HashKey([]byte(name)), Addr: name, Inc: n.inc}
	m, err := New(c.cfg, n.ref, int64(c.rng.Uint64()))
	require.NoError(c.t, err)
	require.NoError(c.t, m.Restore(context.Background(), c.now, n.st))
	n.m, n.dead, n.wake, n.inRing = m, false, 0, true
	c.events[name] = nil // request ids restart with the new incarnation
	if create {
		m.Create(c.now)
	}
	c.updateRing()
	c.flush(n)
	return n
}

func (c *cluster) crash(name string) {
	n := c.nodes[name]
	n.dead, n.inRing = true, false
	c.updateRing()
}

// partition cuts every link between the groups (both directions).
func (c *cluster) partition(groups ...[]string) {
	c.cut = map[[2]string]bool{}
	for i, a := range groups {
		for j, b := range groups {
			if i == j {
				continue
			}
			for _, x := range a {
				for _, y := range b {
					c.cut[[2]string{x, y}] = true
				}
			}
		}
	}
}

func (c *cluster) heal() { c.cut = map[[2]string]bool{} }

// updateRing gives every live node the exact ring of the nodes it can reach.
func (c *cluster) updateRing() {
	for _, n := range c.live() {
		var members []ring.NodeRef
		for _, o := range c.live() {
			if o == n || !c.cut[[2]string{n.name, o.name}] {
				members = append(members, o.ref)
			}
		}
		slices.SortFunc(members, func(a, b ring.NodeRef) int { return a.ID.Cmp(b.ID) })
		i := slices.IndexFunc(members, func(r ring.NodeRef) bool { return r.Addr == n.name })
		st := ring.State{Self: n.ref, Joined: true}
		k := len(members)
		st.Pred = members[(i+k-1)%k]
		for j := 1; j < k && j <= 8; j++ {
			st.Succs = append(st.Succs, members[(i+j)%k])
			st.Preds = append(st.Preds, members[(i+k-j)%k])
		}
		if k == 1 {
			st.Succs = []ring.NodeRef{n.ref}
		}
		n.m.SetRing(c.now, st)
		c.flush(n)
	}
}

func (c *cluster) live() []*tnode {
	var out []*tnode
	for _, name := range c.order {
		if n := c.nodes[name]; !n.dead {
			out = append(out, n)
		}
	}
	return out
}

func (c *cluster) push(e tev) {
	c.seq++
	e.seq = c.seq
	heap.Push(&c.q, e)
}

func (c *cluster) flush(n *tnode) {
	out := n.m.Ready()
	if out.Persist != nil {
		require.NoError(c.t, n.st.Apply(context.Background(), out.Persist))
	}
	c.events[n.name] = append(c.events[n.name], out.Events...)
	for i := range out.Msgs {
		msg := out.Msgs[i]
		b, err := msg.MarshalBinary()
		require.NoError(c.t, err)
		c.sent++
		if msg.To.Addr == n.name {
			c.push(tev{at: c.now, to: n.name, msg: b})
			continue
		}
		if c.cut[[2]string{n.name, msg.To.Addr}] {
			continue
		}
		lat := 500*time.Microsecond + time.Duration(c.rng.Int64N(int64(2*time.Millisecond)))
		if c.delay != nil {
			lat += c.delay(msg)
		}
		c.push(tev{at: c.now.Add(lat), to: msg.To.Addr, msg: b})
	}
	if out.Wake != 0 && out.Wake != n.wake {
		n.wake = max(out.Wake, c.now+1)
		c.push(tev{at: n.wake, to: n.name, tick: true})
	}
}

func (c *cluster) run(d time.Duration) {
	until := c.now.Add(d)
	for c.q.Len() > 0 && c.q[0].at <= until {
		e := heap.Pop(&c.q).(tev)
		c.now = e.at
		n := c.nodes[e.to]
		if n == nil || n.dead {
			continue
		}
		if e.tick {
			if e.at != n.wake {
				continue
			}
			n.wake = 0
			n.m.Tick(c.now)
		} else {
			var msg Message
			require.NoError(c.t, msg.UnmarshalBinary(e.msg))
			if c.cut[[2]string{msg.From.Addr, e.to}] {
				continue
			}
			if c.watch != nil {
				c.watch(msg)
			}
			n.m.Step(c.now, msg)
		}
		c.flush(n)
	}
	c.now = until
}

// await runs until node n reports the event for req, or the timeout passes.
func (c *cluster) await(n *tnode, req uint64, timeout time.Duration) Event {
	deadline := c.now.Add(timeout)
	for c.now < deadline {
		for _, e := range c.events[n.name] {
			if e.ReqID == req && (e.Kind == EvReadDone || e.Kind == EvCommitDone) {
				return e
			}
		}
		c.run(time.Millisecond)
	}
	c.t.Fatalf("request %d on %s: no answer within %s", req, n.name, timeout)
	return Event{}
}

func (c *cluster) get(n *tnode, key string) Event {
	id := n.m.Read(c.now, []byte(key))
	c.flush(n)
	return c.await(n, id, 20*time.Second)
}

func (c *cluster) commit(n *tnode, ops ...Op) Event {
	id := n.m.Commit(c.now, TxSpec{Ops: ops})
	c.flush(n)
	return c.await(n, id, 20*time.Second)
}

// put does read-then-write of key, as a client would.
func (c *cluster) put(n *tnode, key, val string) error {
	r := c.get(n, key)
	if r.Err != nil {
		return r.Err
	}
	return c.commit(n, Op{Key: []byte(key), ReadVersion: r.Version, Write: true, Value: []byte(val)}).Err
}

// converged reports whether every group's view everywhere matches the placement of live nodes.
func (c *cluster) converged() error {
	var refs []ring.NodeRef
	for _, n := range c.live() {
		refs = append(refs, n.ref)
	}
	pl := c.cfg.Placement
	for g := 0; g < pl.Groups; g++ {
		want := pl.Slots(g, refs)
		for _, n := range c.live() {
			v, ready := n.m.Installed(g)
			inWant := slices.ContainsFunc(want, func(r ring.NodeRef) bool { return r.Addr == n.name })
			if inWant && !ready {
				return fmt.Errorf("%s: group %d not ready (view %v)", n.name, g, v)
			}
			if inWant {
				for i := range want {
					if v.Slots[i].Addr != want[i].Addr {
						return fmt.Errorf("%s: group %d slot %d is %s, want %s", n.name, g, i, v.Slots[i].Addr, want[i].Addr)
					}
				}
			}
		}
	}
	return nil
}

func (c *cluster) waitConverged(timeout time.Duration) {
	deadline := c.now.Add(timeout)
	var err error
	for c.now < deadline {
		if err = c.converged(); err == nil {
			return
		}
		c.run(100 * time.Millisecond)
	}
	c.t.Fatalf("views did not converge in %s: %v", timeout, err)
}
