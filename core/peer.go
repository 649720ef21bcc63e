package core

import (
	"context"
	"slices"

	"github.com/detrans/detrans/local"
	"github.com/detrans/detrans/partition"
	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/store"
	"github.com/detrans/detrans/txn"
)

// Config configures a peer's protocols.
type Config struct {
	Ring  ring.Config
	Txn   txn.Config
	Local local.Config // Self is filled in from the peer's address
	Part  partition.Config
}

// Output is everything the peer asks its driver to do since the last Ready. Persist must be
// durable before any of Msgs is sent and before TxnEvents are reported.
type Output struct {
	Msgs       []Msg
	Persist    *store.Batch
	RingEvents []ring.Event
	TxnEvents  []txn.Event    // results of the driver's own store requests (not the outbox's)
	Changes    []local.Change // local-view changes the user did not make
	Wake       ring.Time
}

// Peer is one peer's protocol stack. Not safe for concurrent use: the driver owns it.
type Peer struct {
	self  ring.NodeRef
	Ring  *ring.Node
	Txn   *txn.Machine
	Local *local.Machine
	Part  *partition.Machine
	now   ring.Time
	out   Output
}

// New creates a peer that has not started yet.
func New(cfg Config, self ring.NodeRef, seed int64) (*Peer, error) {
	t, err := txn.New(cfg.Txn, self, seed^0x5bd1e995)
	if err != nil {
		return nil, err
	}
	cfg.Local.Self = self.Addr
	r := ring.New(cfg.Ring, self, seed)
	return &Peer{
		self: self, Ring: r, Txn: t,
		Local: local.New(cfg.Local, t, seed^0x27d4eb2f),
		Part:  partition.New(cfg.Part, r, seed^0x165667b1),
	}, nil
}

// TicksPeriodically tells the peer its driver ticks it on a fixed period and ignores
// Output.Wake (node/ does; the simulator wakes peers when they ask): the transaction layer then
// skips computing its next wake.
func (p *Peer) TicksPeriodically() { p.Txn.TicksPeriodically() }

// Self is this peer's reference.
func (p *Peer) Self() ring.NodeRef { return p.self }

// Restore loads the peer's persisted store state; call it once before Start.
func (p *Peer) Restore(ctx context.Context, now ring.Time, st *store.Store) error {
	if err := p.Txn.Restore(ctx, now, st); err != nil {
		return err
	}
	return p.Local.Restore(ctx, st)
}

// Start joins the ring through contacts (none: a ring of our own). found makes this peer the
// founder of a new space (every group's first view is this peer alone); only the very first
// start of a space's first peer may pass it.
func (p *Peer) Start(now ring.Time, contacts []ring.NodeRef, found bool) {
	p.now = now
	if found {
		p.Txn.Create(now)
	}
	p.Ring.Bootstrap(now, contacts)
	p.syncRing(now)
	p.Local.Start(now)
}

// Step delivers one message to its layer.
func (p *Peer) Step(now ring.Time, m Msg) {
	p.now = now
	switch {
	case m.Ring != nil:
		p.Ring.Step(now, *m.Ring)
	case m.Txn != nil:
		p.Txn.Step(now, *m.Txn)
	case m.Part != nil:
		p.Part.Step(now, *m.Part)
	}
}

// Tick advances both layers' timers.
func (p *Peer) Tick(now ring.Time) {
	p.now = now
	p.Ring.Tick(now)
	p.Part.Tick(now)
	p.syncRing(now) // successor-list changes beyond the first raise no ring event
	p.Txn.Tick(now)
	p.Local.Tick(now)
}

// syncRing tells the store what the ring knows.
func (p *Peer) syncRing(now ring.Time) { p.Txn.SetRing(now, p.Ring.State()) }

// Ready collects both layers' output. Membership changes of the ring are passed to the store
// first, so its reaction is in the same output.
func (p *Peer) Ready() Output {
	ro := p.Ring.Ready()
	for _, ev := range ro.Events {
		p.Part.OnRingEvent(p.now, ev)
	}
	pm, pw := p.Part.Ready() // its Adopt calls ran in Step: the ring's output above has their effect
	for _, ev := range ro.Events {
		switch ev.Kind {
		case ring.EvJoined, ring.EvSuccessorChanged, ring.EvPredecessorChanged, ring.EvRemoved, ring.EvLeft:
			p.syncRing(p.now)
		default:
			continue
		}
		break
	}
	out := p.out
	p.out = Output{}
	for i := range ro.Msgs {
		out.Msgs = append(out.Msgs, Msg{Ring: &ro.Msgs[i]})
	}
	for i := range pm {
		out.Msgs = append(out.Msgs, Msg{Part: &pm[i]})
	}
	out.RingEvents = ro.Events
	out.Wake = MinWake(ro.Wake, pw)
	// The outbox reacts to store events by making new store requests, whose output is
	// collected in the next pass; a few passes always settle (each answer is consumed once).
	for pass := 0; pass < 8; pass++ {
		to := p.Txn.Ready()
		out.Msgs = slices.Grow(out.Msgs, len(to.Msgs))
		for i := range to.Msgs {
			out.Msgs = append(out.Msgs, Msg{Txn: &to.Msgs[i]})
		}
		out.Persist = merge(out.Persist, to.Persist)
		out.Wake = MinWake(out.Wake, to.Wake)
		for _, ev := range to.Events {
			switch {
			case ev.Kind == txn.EvChange:
				p.Local.OnChange(p.now, ev)
				out.TxnEvents = append(out.TxnEvents, ev) // the driver's watchers want them too
			case p.Local.OnEvent(p.now, ev):
			default:
				out.TxnEvents = append(out.TxnEvents, ev)
			}
		}
		lo := p.Local.Ready()
		out.Persist = merge(out.Persist, lo.Persist)
		out.Changes = append(out.Changes, lo.Changes...)
		out.Wake = MinWake(out.Wake, lo.Wake)
		if len(to.Msgs) == 0 && len(to.Events) == 0 {
			break
		}
	}
	return out
}

func merge(a, b *store.Batch) *store.Batch {
	if a == nil {
		return b
	}
	a.Merge(b)
	return a
}

// MinWake is the earlier of two wake times, where 0 means "no wake".
func MinWake(a, b ring.Time) ring.Time {
	switch {
	case a == 0:
		return b
	case b == 0 || a < b:
		return a
	}
	return b
}

// Lookup starts a ring lookup; the result is a ring event.
func (p *Peer) Lookup(now ring.Time, key ring.ID) uint64 { p.now = now; return p.Ring.Lookup(now, key) }

// Read starts a quorum read; the result is a txn event.
func (p *Peer) Read(now ring.Time, key []byte) uint64 { p.now = now; return p.Txn.Read(now, key) }

// Commit starts a transaction commit; the result is a txn event.
func (p *Peer) Commit(now ring.Time, spec txn.TxSpec) uint64 {
	p.now = now
	return p.Txn.Commit(now, spec)
}

// Leave starts a graceful leave of the ring.
func (p *Peer) Leave(now ring.Time) { p.now = now; p.Ring.Leave(now) }

// State is the ring's view.
func (p *Peer) State() ring.State { return p.Ring.State() }

// LocalEdit applies an intent to the local view and queues it (see package local). It returns
// the outbox's writes for the driver to make durable before it answers: nothing is
// acknowledged to anyone on them, so the driver need not wait for an fsync (a crash of the
// process loses nothing; a crash of the machine loses what the next synced write did not cover).
func (p *Peer) LocalEdit(now ring.Time, in local.Intent) (*store.Batch, error) {
	p.now = now
	if err := p.Local.Local(now, in); err != nil {
		return nil, err
	}
	lo := p.Local.Ready()
	p.out.Changes = append(p.out.Changes, lo.Changes...)
	return lo.Persist, nil
}

// Subscribe starts the store's change feed of group g (idempotent); EvChange events follow.
func (p *Peer) Subscribe(now ring.Time, g int) { p.now = now; p.Txn.Subscribe(now, g) }
