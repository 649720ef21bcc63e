package sim

import (
	"fmt"
	"time"

	"github.com/detrans/detrans/core"
	"github.com/detrans/detrans/ring"
)

// maxLocalRounds bounds how often one Ready feeds a peer's messages to itself back into it (as
// node/ does), so that a protocol bug that ping-pongs with itself cannot wedge the simulator.
const maxLocalRounds = 64

// lazyTick completes a sync that is due, then runs the peer's timers if they are due (the sim
// also wakes the peer for its syncs, and a peer is ticked only when it asked to be).
func (p *Peer) lazyTick(now ring.Time) {
	z := p.lz
	if z.syncAt != 0 && now >= z.syncAt {
		p.syncDone()
	}
	if z.lazyAt != 0 && now >= z.lazyAt {
		z.lazyAt = 0
		if z.syncAt == 0 && z.applied > z.synced {
			p.startSync()
		}
	}
	if p.err == nil && z.coreWake != 0 && now >= z.coreWake {
		p.ticked = true
		p.P.Tick(now)
	}
}

// syncDone completes the running sync: the batches it covers become durable, and the next sync
// starts at once if held output needs it (node/'s syncer loops on its request), else lazily.
func (p *Peer) syncDone() {
	z := p.lz
	n := 0
	for n < len(z.log.unsynced) && z.log.unsynced[n].seq <= z.syncTarget {
		n++
	}
	if err := z.log.persist(n); err != nil {
		p.err = fmt.Errorf("sim peer %s: sync: %w", p.Addr, err)
	}
	z.synced, z.syncAt = z.syncTarget, 0
	z.disk.Syncs++
	z.disk.record(tagSyncDone, p.Addr, "synced", z.synced, uint64(n), "upto", "batches")
	switch {
	case len(z.pending) > 0 && z.pending[len(z.pending)-1].need > z.synced:
		p.startSync()
	case z.applied > z.synced && z.lazyAt == 0:
		z.lazyAt = p.now.Add(z.disk.cfg.LazySync)
	}
}

func (p *Peer) startSync() {
	z := p.lz
	cfg := z.disk.cfg
	d := cfg.SyncMin + time.Duration(z.rng.Int64N(int64(cfg.SyncMax-cfg.SyncMin)+1))
	z.syncTarget, z.syncAt, z.lazyAt = z.applied, p.now.Add(d), 0
	z.disk.record(tagSyncStart, p.Addr, "sync", z.syncTarget, uint64(d), "upto", "ns")
}

// lazyReady is node/'s flush: write the batch unsynced, step self-addressed messages at once,
// send unbound messages at once, queue the rest with the write count they depend on, and
// release whatever the completed syncs cover.
func (p *Peer) lazyReady() ([]core.Msg, ring.Time) {
	z := p.lz
	p.now = z.disk.s.now // Ready also follows Sim.Do, which steps no time into the peer
	msgs := z.msgs[:0]
	events := 0
	stepped := false  // a self-addressed message was stepped: a wake not after now is no spin
	needSync := false // held output waits for a write: start a sync when the rounds are done
	z.more = false
	for round := 0; ; round++ {
		if round == maxLocalRounds {
			z.more = true // the rest of the output waits in the peer: Ready again at once
			break
		}
		out := p.P.Ready()
		z.coreWake = out.Wake
		if out.Persist != nil && out.Persist.Len() > 0 {
			z.applied++
			z.log.unsynced = append(z.log.unsynced, loggedBatch{seq: z.applied, b: out.Persist})
			z.disk.Writes++
			z.disk.record(tagDiskWrite, p.Addr, "write", z.applied, uint64(out.Persist.Len()), "seq", "ops")
			if z.syncAt == 0 && z.lazyAt == 0 {
				z.lazyAt = p.now.Add(z.disk.cfg.LazySync)
			}
			if z.disk.OnWrite != nil {
				z.disk.OnWrite(p.Addr, out.Msgs)
			}
		}
		var local []core.Msg
		kept := out.Msgs[:0]
		for _, m := range out.Msgs {
			switch {
			case m.Dst() == p.Addr && m.StepAtOnce():
				local = append(local, m)
			case z.disk.cfg.Unbound(m) || z.disk.cfg.Unordered:
				msgs = append(msgs, m)
			default:
				kept = append(kept, m)
			}
		}
		out.Msgs = kept
		out.Persist = nil
		evKept := out.TxnEvents[:0]
		for _, ev := range out.TxnEvents {
			if ev.Unbound() {
				p.TxnEvents = append(p.TxnEvents, ev)
				events++
			} else {
				evKept = append(evKept, ev)
			}
		}
		out.TxnEvents = evKept
		if len(out.Msgs)+len(out.RingEvents)+len(out.TxnEvents) > 0 {
			need := z.applied
			if z.disk.cfg.Unordered {
				need = 0
			}
			z.pending = append(z.pending, pendingOut{need: need, out: out})
			needSync = needSync || need > z.synced
		}
		for _, m := range local {
			p.P.Step(p.now, m)
			stepped = true
		}
		msgs, events = p.release(msgs, events)
		if len(local) == 0 {
			break
		}
	}
	if needSync && z.syncAt == 0 {
		p.startSync() // after the self-addressed rounds, as node/ asks: one sync covers them
	}
	z.msgs = msgs
	if p.OnEvents != nil && events > 0 {
		p.OnEvents(p)
	}
	if p.ticked && !stepped && z.coreWake != 0 && z.coreWake <= p.now {
		// As in Ready: a timer Tick left in the past is a spin; tick again after spinFloor.
		if p.spins == 0 {
			p.firstSpin = p.now
		}
		p.spins++
		z.coreWake = p.now.Add(spinFloor)
	}
	p.ticked = false
	if z.more {
		return msgs, p.now
	}
	return msgs, core.MinWake(core.MinWake(z.coreWake, z.syncAt), z.lazyAt)
}

// release hands out the pending outputs whose writes are durable, in order.
func (p *Peer) release(msgs []core.Msg, events int) ([]core.Msg, int) {
	z := p.lz
	i := 0
	for ; i < len(z.pending) && z.pending[i].need <= z.synced; i++ {
		out := &z.pending[i].out
		msgs = append(msgs, out.Msgs...)
		p.RingEvents = append(p.RingEvents, out.RingEvents...)
		p.TxnEvents = append(p.TxnEvents, out.TxnEvents...)
		events += len(out.RingEvents) + len(out.TxnEvents)
		*out = core.Output{}
	}
	if i > 0 {
		z.pending = append(z.pending[:0], z.pending[i:]...)
	}
	return msgs, events
}
