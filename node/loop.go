package node

import (
	"context"
	"time"

	"github.com/detrans/detrans/ring"
	"github.com/libp2p/go-libp2p/core/peer"
)

// maxLocalRounds bounds how often messages a node sends to itself are fed back within one loop
// iteration, so a ring bug that ping-pongs with itself cannot wedge the loop.
const maxLocalRounds = 64

func (n *Node) now() ring.Time { return ring.Time(time.Since(n.start)) }

// loop is the only goroutine that touches n.r. waitForLAN delays the ring bootstrap until an
// mDNS peer with a lower peer ID turns up or MDNSGrace passes.
func (n *Node) loop(waitForLAN bool) {
	defer close(n.loopDone)
	defer func() {
		st := n.r.State()
		n.finalMu.Lock()
		n.finalState = &st
		n.finalMu.Unlock()
		for id, ch := range n.lookups {
			ch <- lookupReply{err: errClosed}
			delete(n.lookups, id)
		}
	}()
	tick := time.NewTicker(n.s.tick)
	defer tick.Stop()
	var grace <-chan time.Time
	if waitForLAN {
		t := time.NewTimer(n.s.MDNSGrace)
		defer t.Stop()
		grace = t.C
	}
	n.flush()
	for {
		select {
		case <-n.quit:
			return
		case <-tick.C:
			if n.bootstrapped {
				n.r.Tick(n.now())
			}
		case m := <-n.inbound:
			if n.bootstrapped {
				n.r.Step(n.now(), m)
			}
		case f := <-n.calls:
			f(n.now())
		case <-grace:
			grace = nil
			if !n.bootstrapped {
				n.log.Info("no LAN peer to join; starting a new ring")
				n.bootstrapLocked(nil)
			}
		}
		n.flush()
	}
}

// bootstrapLocked starts the ring join; loop goroutine only.
func (n *Node) bootstrapLocked(contacts []ring.NodeRef) {
	if n.bootstrapped {
		return
	}
	n.bootstrapped = true
	n.r.Bootstrap(n.now(), contacts)
}

// do runs f inside the loop and waits for it to finish.
func (n *Node) do(ctx context.Context, f func(now ring.Time)) error {
	done := make(chan struct{})
	select {
	case n.calls <- func(now ring.Time) { f(now); close(done) }:
	case <-ctx.Done():
		return ctx.Err()
	case <-n.loopDone:
		return errClosed
	}
	<-done
	return nil
}

// flush drains the ring's output: messages to writers (or straight back into the ring when
// addressed to ourselves), events to their waiters.
func (n *Node) flush() {
	for round := 0; round < maxLocalRounds; round++ {
		out := n.r.Ready()
		if len(out.Msgs) == 0 && len(out.Events) == 0 {
			return
		}
		var local []ring.Message
		for _, m := range out.Msgs {
			if m.To.Addr == n.self.Addr {
				local = append(local, m)
				continue
			}
			n.send(m)
		}
		for _, ev := range out.Events {
			n.handleEvent(ev)
		}
		now := n.now()
		for _, m := range local {
			n.r.Step(now, m)
		}
	}
	n.log.Warn("ring kept sending to itself; deferring the rest to the next iteration")
}

func (n *Node) send(m ring.Message) {
	p, err := peer.Decode(m.To.Addr)
	if err != nil {
		n.log.Warn("ring message to an invalid peer ID dropped", "to", m.To.Addr, "err", err)
		return
	}
	b, err := m.MarshalBinary()
	if err != nil {
		n.log.Warn("ring message not encodable, dropped", "type", m.Type, "err", err)
		return
	}
	if !n.writers.send(p, appendFrame(make([]byte, 0, len(b)+4), b)) {
		n.log.Debug("ring send queue full, message dropped", "to", shortPeer(m.To.Addr), "type", m.Type)
	}
}

func (n *Node) handleEvent(ev ring.Event) {
	switch ev.Kind {
	case ring.EvLookupDone:
		if ch, ok := n.lookups[ev.ReqID]; ok {
			delete(n.lookups, ev.ReqID)
			ch <- lookupReply{res: LookupResult{Key: ev.Key, Owner: ev.Node.Addr, OwnerRingID: ev.Node.ID, Hops: ev.Hops}}
		}
	case ring.EvLookupFailed:
		if ch, ok := n.lookups[ev.ReqID]; ok {
			delete(n.lookups, ev.ReqID)
			ch <- lookupReply{err: errLookupTimeout}
		}
	case ring.EvJoined:
		n.joinOnce.Do(func() { close(n.joined) })
		n.log.Info("joined the ring")
	case ring.EvLeft:
		n.leftOnce.Do(func() { close(n.left) })
	case ring.EvSuccessorChanged:
		n.log.Debug("successor changed", "succ", shortPeer(ev.Node.Addr))
	case ring.EvPredecessorChanged:
		n.log.Debug("predecessor changed", "pred", shortPeer(ev.Node.Addr))
	case ring.EvSuspected:
		n.log.Info("peer suspected", "node", shortPeer(ev.Node.Addr))
	case ring.EvRemoved:
		n.log.Info("peer removed", "node", shortPeer(ev.Node.Addr))
	}
}
