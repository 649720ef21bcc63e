package sim

import (
	"context"
	"fmt"
	"time"

	"github.com/detrans/detrans/core"
	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/store"
	"github.com/detrans/detrans/txn"
)

// Peer runs a full peer (core.Peer: ring + transactional store) in the simulator, the way node/
// runs it over libp2p: Ready makes the output's Persist batch durable in Store before the
// messages leave and before events are reported. Store lives in Boot.Disk.Store, so a crashed
// and restarted peer finds what it had persisted, and nothing else. On a lazy disk
// (UseLazyDisk) it models node/'s group commit instead: writes are synced later, and output
// that depends on them waits for the sync.
type Peer struct {
	P     *core.Peer
	Store *store.Store
	Addr  string
	Inc   uint64

	// RingEvents and TxnEvents collect every event since the owner last emptied them (setting
	// them to nil is how a harness consumes them).
	RingEvents []ring.Event
	TxnEvents  []txn.Event

	// OnEvents, when set, is called at the end of Ready when it produced events. It runs inside
	// the simulator's event loop: it may read the peer and schedule scenario actions (At, After)
	// but must not call Do, Start, Crash or Restart directly.
	OnEvents func(p *Peer)

	lz        *lazyPeer // nil: Ready persists synchronously (see UseLazyDisk)
	err       error
	now       ring.Time
	ticked    bool // the last input was a Tick
	spins     int
	firstSpin ring.Time
}

// spinFloor is how far Ready pushes a wake that a Tick left at or before now (see Spins).
const spinFloor = time.Millisecond

// Err is the first error of this incarnation (a config, restore or persist failure); a peer
// with an error sends nothing more and asks for no timer: it is as good as crashed.
func (p *Peer) Err() error { return p.err }

// Step delivers one message.
func (p *Peer) Step(now ring.Time, m core.Msg) {
	p.now, p.ticked = now, false
	if p.err == nil {
		p.P.Step(now, m)
	}
}

// Tick runs the peer's timers.
func (p *Peer) Tick(now ring.Time) {
	if p.lz != nil {
		p.now, p.ticked = now, false
		if p.err == nil {
			p.lazyTick(now)
		}
		return
	}
	p.now, p.ticked = now, true
	if p.err == nil {
		p.P.Tick(now)
	}
}

// Ready persists the output's batch (on a lazy disk: see lazyReady), keeps its events and returns its messages and wake time.
func (p *Peer) Ready() ([]core.Msg, ring.Time) {
	if p.err != nil {
		return nil, 0
	}
	if p.lz != nil {
		return p.lazyReady()
	}
	out := p.P.Ready()
	if out.Persist != nil && out.Persist.Len() > 0 {
		if err := p.Store.Apply(context.Background(), out.Persist); err != nil {
			// Like node/: without durability nothing may be acknowledged, so the peer stops.
			p.err = fmt.Errorf("sim peer %s: persist: %w", p.Addr, err)
			return nil, 0
		}
	}
	p.RingEvents = append(p.RingEvents, out.RingEvents...)
	p.TxnEvents = append(p.TxnEvents, out.TxnEvents...)
	if p.OnEvents != nil && len(out.RingEvents)+len(out.TxnEvents) > 0 {
		p.OnEvents(p)
	}
	wake := out.Wake
	if p.ticked && wake != 0 && wake <= p.now {
		// A timer left in the past by Tick would be ticked every nanosecond of virtual time
		// (node/ ticks periodically and would only waste work): count it and tick again after
		// spinFloor, as a periodic driver would.
		if p.spins == 0 {
			p.firstSpin = p.now
		}
		p.spins++
		wake = p.now.Add(spinFloor)
	}
	p.ticked = false
	return out.Msgs, wake
}

// Spins reports how often a Tick left the peer's next wake at or before the tick's time (a
// timer bug: the machine asks to be ticked again without time passing), and when it first did.
func (p *Peer) Spins() (n int, first ring.Time) { return p.spins, p.firstSpin }

// PeerRef is the ring reference of address addr in incarnation inc (0: unknown incarnation, as
// for contacts).
func PeerRef(addr string, inc uint64) ring.NodeRef {
	return ring.NodeRef{ID: ring.HashKey([]byte(addr)), Addr: addr, Inc: inc}
}

// PeerConfig is a simulator configuration that runs full peers: every incarnation is a new
// core.Peer restored from its disk's store and started with Boot.Contacts as ring contacts;
// founder founds the space on its first start only. Every message crosses the simulated wire
// encoded with core.Msg's codec, as over libp2p.
func PeerConfig(seed int64, cfg core.Config, link Link, founder string) Config[core.Msg] {
	return Config[core.Msg]{
		Seed:   seed,
		Link:   link,
		Kind:   core.Msg.Kind,
		Encode: func(m core.Msg) ([]byte, error) { return m.MarshalBinary() },
		Decode: core.Decode,
		New: func(addr string, boot Boot) Machine[core.Msg] {
			return NewPeer(cfg, addr, boot, addr == founder && boot.Inc == 1)
		},
	}
}

// NewPeer creates and starts one incarnation of a peer, for factories that wrap PeerConfig's.
// Errors are kept in Err (the peer then stays inert), since a factory cannot return one.
func NewPeer(cfg core.Config, addr string, boot Boot, found bool) *Peer {
	st, _ := boot.Disk.Store.(*store.Store)
	if st == nil {
		st = store.NewMemory()
		boot.Disk.Store = st
	}
	p := &Peer{Store: st, Addr: addr, Inc: boot.Inc}
	cp, err := core.New(cfg, PeerRef(addr, boot.Inc), boot.Seed)
	if err != nil {
		p.err = fmt.Errorf("sim peer %s: %w", addr, err)
		return p
	}
	if err := cp.Restore(context.Background(), boot.Now, st); err != nil {
		p.err = fmt.Errorf("sim peer %s: restore: %w", addr, err)
		return p
	}
	p.P = cp
	contacts := make([]ring.NodeRef, 0, len(boot.Contacts))
	for _, c := range boot.Contacts {
		contacts = append(contacts, PeerRef(c, 0))
	}
	cp.Start(boot.Now, contacts, found)
	return p
}

// Peers returns the running peers of s in address order.
func Peers(s *Sim[core.Msg]) []*Peer {
	var out []*Peer
	s.Each(func(_ string, m Machine[core.Msg]) {
		if p, ok := m.(*Peer); ok {
			out = append(out, p)
		}
	})
	return out
}

// CheckPeersSettled reports why the running peers are not (yet) one ring whose every replica
// group has the view the placement wants, installed and ready on each of its members: the state
// in which every key has a full, serving replica group. nil means settled.
func CheckPeersSettled(s *Sim[core.Msg]) error {
	peers := Peers(s)
	if len(peers) == 0 {
		return fmt.Errorf("no running peer")
	}
	var states []ring.State
	var refs []ring.NodeRef
	for _, p := range peers {
		if p.err != nil {
			return p.err
		}
		st := p.P.State()
		if !st.Joined {
			return fmt.Errorf("%s has not joined the ring", p.Addr)
		}
		states = append(states, st)
		refs = append(refs, p.P.Self())
	}
	if err := CheckOneRing(states); err != nil {
		return err
	}
	pl := peers[0].P.Txn.Placement()
	for g := range pl.Groups {
		want := pl.Slots(g, refs)
		for _, p := range peers {
			v, ready := p.P.Txn.Installed(g)
			member := false
			for _, w := range want {
				member = member || w.Addr == p.Addr
			}
			if !member {
				continue
			}
			if !ready {
				return fmt.Errorf("%s: group %d not ready (view epoch %d)", p.Addr, g, v.Epoch)
			}
			for i := range want {
				if v.Slots[i].Addr != want[i].Addr {
					return fmt.Errorf("%s: group %d slot %d is %q, want %q", p.Addr, g, i, v.Slots[i].Addr, want[i].Addr)
				}
			}
		}
	}
	return nil
}
