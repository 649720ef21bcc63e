package node

import (
	"context"
	"time"

	"github.com/detrans/detrans/core"
	"github.com/detrans/detrans/ring"
	"github.com/libp2p/go-libp2p/core/peer"
)

const (
	// maxLocalRounds bounds how often messages a node sends to itself are fed back within one
	// flush, so a protocol bug that ping-pongs with itself cannot wedge the loop.
	maxLocalRounds = 64
	// maxBatch is about how many queued inputs (messages, calls) the loop takes before it
	// flushes: one flush makes one fsync for all of them (group commit).
	maxBatch = 256
)

func (n *Node) now() ring.Time { return ring.Time(time.Since(n.start)) }

// loop is the only goroutine that touches n.p. waitForLAN delays the ring bootstrap until an
// mDNS peer with a lower peer ID turns up or MDNSGrace passes.
func (n *Node) loop(waitForLAN bool) {
	defer close(n.loopDone)
	defer func() {
		st := n.p.State()
		n.finalMu.Lock()
		n.finalState = &st
		n.finalMu.Unlock()
		for id, ch := range n.lookups {
			ch <- lookupReply{err: errClosed}
			delete(n.lookups, id)
		}
		n.failOps(errClosed)
	}()
	tick := time.NewTicker(n.s.tick)
	defer tick.Stop()
	var grace <-chan time.Time
	if waitForLAN {
		t := time.NewTimer(n.s.MDNSGrace)
		defer t.Stop()
		grace = t.C
	}
	n.foldIntake() // edits a previous run recorded but did not fold
	n.flush()
	for {
		select {
		case <-n.quit:
			return
		case <-tick.C:
			if n.bootstrapped {
				n.p.Tick(n.now())
			}
		case ms := <-n.inbound:
			n.step(ms)
		case f := <-n.calls:
			n.call(f)
		case <-n.intake.sig:
			n.foldIntake()
		case <-n.syncDone:
		case <-grace:
			grace = nil
			if !n.bootstrapped {
				n.log.Info("no LAN peer to join; starting a ring of our own")
				n.bootstrapLocked(nil)
			}
		}
		n.drain()
		n.flush()
	}
}

// drain takes whatever else is already queued, without blocking, so one flush covers it.
//
// Calls (the app's Local, Get, Status) go first: a user's edit should not queue behind a burst of
// protocol messages, which is what Local's latency is made of.
func (n *Node) drain() {
	for taken := 0; taken < maxBatch; taken++ {
		select {
		case f := <-n.calls:
			n.call(f)
			continue
		default:
		}
		select {
		case ms := <-n.inbound:
			n.step(ms)
			taken += len(ms) - 1
		case f := <-n.calls:
			n.call(f)
		case <-n.intake.sig:
			n.foldIntake()
		default:
			return
		}
	}
}

// call runs an app call; recorded edits are folded first, so the call sees every edit whose
// Local returned before it.
func (n *Node) call(f func(now ring.Time)) {
	n.foldIntake()
	f(n.now())
}

func (n *Node) step(ms []core.Msg) {
	n.counters.msgsRecv.Add(uint64(len(ms)))
	if !n.bootstrapped {
		return
	}
	now := n.now()
	for _, m := range ms {
		n.p.Step(now, m)
	}
}

// bootstrapLocked starts the ring join; loop goroutine only.
func (n *Node) bootstrapLocked(contacts []ring.NodeRef) {
	if n.bootstrapped {
		return
	}
	n.bootstrapped = true
	n.p.Start(n.now(), contacts, n.found)
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

// flush collects the peer's output and writes its Persist batch into the store's log without
// waiting for the disk; the output waits in n.pending until the syncer goroutine has made that
// write (and all before it) durable, then release sends its messages and hands out its events.
// The loop goes on meanwhile, so one fsync covers everything written while the last one ran
// (group commit), and nothing that depends on a write leaves before it is on disk.
//
// Messages that depend on no write (core.Msg.Unbound: requests such as reads and prepares) go
// out at once too.
//
// Messages to this peer itself are stepped at once, before the sync (all but those
// core.Msg.StepAtOnce keeps back): they never leave the process, what they change is written
// after the batch they follow (the log keeps the order, so a sync that covers the later write
// covers the earlier), and whatever they make visible outside waits for a sync that covers both.
// A crash before the sync loses them together with the state that sent them. This saves one
// fsync per self-addressed step, e.g. a replica that is also an acceptor of its own vote in
// Paxos Commit.
//
// A write only some held output depends on asks for a sync; the rest (a replica applying a
// decision, an acceptor recording one) waits for the next sync someone needs, or for the
// syncer's lazy round (lazySync): they can be rebuilt from what is durable, and at most one
// fsync per round trip is what keeps commit latency low when there is nothing to group.
func (n *Node) flush() {
	// The sync is asked for once the self-addressed rounds are done, so that one fsync covers
	// a replica's lock and its own acceptor's record of the vote, written a round apart.
	needSync, wrote := false, false
	defer func() {
		n.sendOutbox()
		switch {
		case needSync:
			n.requestSync()
		case wrote:
			select {
			case n.lazyReq <- struct{}{}:

			default:
			}
		}
	}()
	for round := 0; round < maxLocalRounds; round++ {
		out := n.p.Ready()
		if out.Persist != nil && out.Persist.Len() > 0 {
			if err := n.store.ApplyNoSync(n.ctx, out.Persist); err != nil {
				n.storeFailed(err)
				return
			}
			n.appliedSeq.Add(1)
			n.counters.writes.Add(uint64(out.Persist.Len()))
			n.counters.writeSize.Add(uint64(out.Persist.Size()))
			wrote = true
		}
		local := n.takeLocal(&out)
		n.sendUnbound(&out)
		n.handUnboundEvents(&out)
		if len(out.Msgs)+len(out.RingEvents)+len(out.TxnEvents)+len(out.Changes) > 0 {
			need := n.appliedSeq.Load()
			n.pending = append(n.pending, pendingOut{need: need, out: out})
			if need > n.synced.Load() {
				needSync = true
			}
		}
		if round == 0 {
			n.publishLocal(nil) // sync-state watchers: the counts may have changed
		}
		now := n.now()
		for _, m := range local {
			n.p.Step(now, m)
		}
		if !n.release() && len(local) == 0 {
			return
		}
	}
	n.log.Warn("peer kept sending to itself; deferring the rest to the next iteration")
}

// handUnboundEvents hands out at once the events that depend on no write (txn.Event.Unbound:
// a read's result, a commit's outcome) and leaves the rest in out.
func (n *Node) handUnboundEvents(out *core.Output) {
	kept := out.TxnEvents[:0]
	for _, ev := range out.TxnEvents {
		if ev.Unbound() {
			n.handleTxnEvent(ev)
		} else {
			kept = append(kept, ev)
		}
	}
	out.TxnEvents = kept
}

func (n *Node) requestSync() {
	select {
	case n.syncReq <- struct{}{}:
	default:
	}
}

// takeLocal removes the messages addressed to this peer that it may step at once from out and
// returns them.
func (n *Node) takeLocal(out *core.Output) []core.Msg {
	var local []core.Msg
	kept := out.Msgs[:0]
	for _, m := range out.Msgs {
		if m.Dst() == n.self.Addr && m.StepAtOnce() {
			local = append(local, m)
		} else {
			kept = append(kept, m)
		}
	}
	out.Msgs = kept
	return local
}

// sendUnbound sends at once the messages of out that depend on no write (core.Msg.Unbound):
// reads, prepares and decisions should not wait behind an fsync of other transactions' votes.
//
// They may overtake a message to the same peer that waits for its fsync (a vote, an
// acceptance); they keep their order among themselves, and the held ones theirs. Nothing counts
// on more: the case that once did — the outbox's next prepare overtaking the previous
// transaction's decide, meeting its lock and aborting over and over — cannot happen since
// decisions leave unbound too. Holding them back behind held messages to the same peer had cost
// a read-modify-write at 64 clients an fsync wait on its read and on its prepare, and a sync of
// its own to every flush that sent only such messages (`detrans-node bench --clients 64`: 0.75 →
// 0.5 fsyncs and 2,400–2,750 → 3,050–3,250 tx/s per run, interleaved on a 2-core VM).
func (n *Node) sendUnbound(out *core.Output) {
	kept := out.Msgs[:0]
	for _, m := range out.Msgs {
		if m.Unbound() {
			n.send(m)
			continue
		}
		kept = append(kept, m)
	}
	out.Msgs = kept
}

// pendingOut is output waiting for the writes it depends on to be synced.
type pendingOut struct {
	need uint64 // appliedSeq when it was produced
	out  core.Output
}

// release carries out the pending outputs whose writes are durable; it reports whether it fed
// messages back into the peer (then there is new output to collect).
func (n *Node) release() bool {
	synced := n.synced.Load()
	stepped := false
	for len(n.pending) > 0 && n.pending[0].need <= synced {
		out := n.pending[0].out
		n.pending = n.pending[1:]
		var local []core.Msg
		for _, m := range out.Msgs {
			if m.Dst() == n.self.Addr {
				local = append(local, m)
				continue
			}
			n.send(m)
		}
		for _, ev := range out.RingEvents {
			n.handleEvent(ev)
		}
		for _, ev := range out.TxnEvents {
			n.handleTxnEvent(ev)
		}
		if len(out.Changes) > 0 {
			n.publishLocal(out.Changes)
		}
		now := n.now()
		for _, m := range local {
			n.p.Step(now, m)
			stepped = true
		}
	}
	return stepped
}

// lazySync is how long a write that nothing waits for may stay unsynced, at most (plus one
// fsync): it bounds what a power loss makes the peer rebuild, not what it may lose.
const lazySync = 50 * time.Millisecond

// syncer makes the store's log durable when the loop asks (output waits for a write), or
// lazySync after a write nothing waits for (unless a sync took it meanwhile), and tells the loop
// how far it got. One fsync covers every write made before it started. The lazy timer is armed
// only while such writes wait, so an idle peer does not wake for it.
func (n *Node) syncer() {
	defer close(n.syncerDone)
	lazy := time.NewTimer(lazySync)
	lazy.Stop()
	defer lazy.Stop()
	armed := false
	for {
		select {
		case <-n.syncReq:
		case <-n.lazyReq:
			if !armed {
				lazy.Reset(lazySync)
				armed = true
			}
			continue
		case <-lazy.C:
			armed = false
			if n.appliedSeq.Load() <= n.synced.Load() {
				continue
			}
		case <-n.quit:
			return
		}
		target := n.appliedSeq.Load()
		t0 := time.Now()
		err := n.store.Sync(n.ctx)
		n.counters.syncs.Add(1)
		n.counters.syncNanos.Add(uint64(time.Since(t0)))
		if err != nil {
			if n.ctx.Err() == nil {
				n.log.Error("store sync failed; shutting the peer down", "err", err)
				go func() { _ = n.Close() }()
			}
			return
		}
		n.synced.Store(target)
		select {
		case n.syncDone <- struct{}{}:
		default:
		}
	}
}

// storeFailed stops the peer: without durability nothing may be acknowledged.
func (n *Node) storeFailed(err error) {
	n.log.Error("store write failed; shutting the peer down", "err", err)
	n.failOps(err)
	go func() { _ = n.Close() }()
}

// send adds m's frame to the bytes going to its destination in this flush; sendOutbox hands
// them to the writers when the flush ends. Queued per flush, a burst to one peer costs its writer
// one wake-up, one write and one Noise record, and its reader one hand-off to the loop, where
// per-message hand-offs between goroutines were a large share of a busy peer's CPU.
func (n *Node) send(m core.Msg) {
	p, err := n.peerIDOf(m.Dst())
	if err != nil {
		n.log.Warn("message to an invalid peer ID dropped", "to", m.Dst(), "err", err)
		return
	}
	buf, queued := n.outbox[p]
	if !queued {
		n.outOrder = append(n.outOrder, p)
	}
	if buf == nil {
		buf = getFrameBuf()
	}
	before := len(buf)
	buf, err = n.appendFrameOf(buf, m)
	if err != nil {
		n.log.Warn("message not encodable, dropped", "kind", m.Kind(), "err", err)
		if !queued {
			n.outOrder = n.outOrder[:len(n.outOrder)-1]
		}
		return
	}
	n.counters.msgsSent.Add(1)
	n.counters.bytesSent.Add(uint64(len(buf) - before))
	if len(buf) >= maxOutboxBytes {
		n.handToWriter(p, buf)
		buf = nil
	}
	if n.outbox == nil {
		n.outbox = map[peer.ID][]byte{}
	}
	n.outbox[p] = buf
}

// maxOutboxBytes is how many bytes of frames to one peer a flush gathers before handing them on.
const maxOutboxBytes = 64 << 10

// sendOutbox hands the frames gathered in this flush to the writers, destinations in the order
// they were first sent to.
func (n *Node) sendOutbox() {
	for _, p := range n.outOrder {
		if buf := n.outbox[p]; len(buf) > 0 {
			n.handToWriter(p, buf)
		}
		delete(n.outbox, p)
	}
	n.outOrder = n.outOrder[:0]
}

func (n *Node) handToWriter(p peer.ID, buf []byte) {
	if !n.writers.send(p, buf) {
		putFrameBuf(buf)
		n.log.Debug("send queue full, messages dropped", "to", shortPeer(p.String()), "bytes", len(buf))
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

// peerIDOf decodes a peer ID string through a small cache: decoding (base58 and multihash) cost
// about 7% of a busy peer's CPU when done for every message. Loop goroutine only.
func (n *Node) peerIDOf(s string) (peer.ID, error) {
	if p, ok := n.peerIDs[s]; ok {
		return p, nil
	}
	p, err := peer.Decode(s)
	if err != nil {
		return "", err
	}
	if n.peerIDs == nil || len(n.peerIDs) >= maxPeerIDCache {
		n.peerIDs = map[string]peer.ID{}
	}
	n.peerIDs[s] = p
	return p, nil
}

// maxPeerIDCache bounds the cache; past it the cache starts over (rare: it is the peers we talk to).
const maxPeerIDCache = 4096
