package sim

import (
	"fmt"
	"strconv"

	"github.com/detrans/detrans/ring"
)

// drain collects a machine's outputs after Step, Tick or start: sends its messages and
// replaces its timer.
func (s *Sim[M]) drain(n *node[M], afterTick bool) {
	msgs, wake := n.m.Ready()
	for i := range msgs {
		s.send(n, msgs[i])
	}
	s.setWake(n, wake, afterTick)
}

// setWake replaces n's timer. A wake not after now means as soon as possible: still now after a
// Step (behind the events already due now), but now+1ns after a Tick, so that a machine that
// does not move its timer forward cannot stall virtual time.
func (s *Sim[M]) setWake(n *node[M], wake ring.Time, afterTick bool) {
	if wake == 0 {
		s.ticks.remove(n.idx)
		return
	}
	floor := s.now
	if afterTick {
		floor++
	}
	wake = max(wake, floor)
	if e, ok := s.ticks.get(n.idx); ok && e.at == wake {
		return // unchanged: keep its place among events of the same time
	}
	s.seq++
	s.ticks.set(n.idx, wake, s.seq)
}

// send puts one message from src on the simulated wire.
func (s *Sim[M]) send(src *node[M], m M) {
	s.nextID++
	id := s.nextID
	dstAddr := m.Dst()
	kind := int32(-1)
	if s.cfg.Kind != nil {
		kind = s.kindIndex(s.cfg.Kind(m))
	}
	var data []byte
	var encErr error
	if s.codec {
		data, encErr = s.cfg.Encode(m)
	}
	s.traceSend(id, src.addr, dstAddr, kind, m, data, encErr)

	s.st.sent++
	src.stats.sent++
	src.stats.bytes += uint64(len(data))
	if kind >= 0 {
		s.kindStats[kind].Sent++
		for int(kind) >= len(src.stats.kindSent) {
			src.stats.kindSent = append(src.stats.kindSent, 0)
		}
		src.stats.kindSent[kind]++
	}

	if encErr != nil {
		s.drop(id, src, dstAddr, kind, DropEncode, encErr)
		return
	}
	if m.Src() != src.addr {
		s.drop(id, src, dstAddr, kind, DropBadSrc, nil)
		return
	}
	di, ok := s.byAddr[dstAddr]
	if !ok {
		s.drop(id, src, dstAddr, kind, DropUnknownDst, nil)
		return
	}
	dst := s.nodes[di]
	var l *Link
	if di != src.idx { // to itself: no network, no faults, zero latency
		l = s.link(src.idx, di)
		if r := s.cut(src, dst, l); r != 0 {
			s.drop(id, src, dstAddr, kind, r, nil)
			return
		}
		if l.Loss > 0 && s.rng.Float64() < l.Loss {
			s.drop(id, src, dstAddr, kind, DropLoss, nil)
			return
		}
	}
	copies := int32(1)
	if l != nil && l.Dup > 0 && s.rng.Float64() < l.Dup {
		copies = 2
		s.st.duplicated++
		s.tr.rec(tagDup, s.now)
		s.tr.u64(id)
		s.tr.end()
		if s.tr.text() {
			s.tr.startLine(s.now, "dup")
			s.tr.id(id)
			s.tr.endLine()
		}
	}
	ref := s.allocSlot()
	sl := &s.slots[ref]
	sl.msg, sl.data, sl.id, sl.src, sl.dst, sl.kind, sl.refs = m, data, id, src.idx, di, kind, copies
	sl.dstInc = 0
	if dst.live {
		sl.dstInc = dst.inc
	}
	for range copies {
		at := s.now
		if l != nil {
			at = at.Add(l.delay(s.rng))
		}
		s.seq++
		s.q.push(event{at: at, seq: s.seq, ref: ref, kind: evDeliver})
	}
}

// deliver handles one arrival of the message in slot ref.
func (s *Sim[M]) deliver(ref int32) {
	sl := &s.slots[ref]
	src, dst := s.nodes[sl.src], s.nodes[sl.dst]
	id, kind := sl.id, sl.kind
	var reason DropReason
	var err error
	var m M
	switch {
	case !dst.live || dst.inc != sl.dstInc:
		reason = DropNodeDown
	case sl.src != sl.dst:
		reason = s.cut(src, dst, s.link(sl.src, sl.dst))
	}
	if reason == 0 {
		if s.codec {
			if m, err = s.cfg.Decode(sl.data); err != nil {
				reason = DropDecode
			}
		} else {
			m = sl.msg
		}
	}
	// Release before Step: the machine's replies may grow s.slots and move sl.
	if sl.refs--; sl.refs == 0 {
		var zero M
		sl.msg, sl.data = zero, nil
		s.freeSlots = append(s.freeSlots, ref)
	}
	if reason != 0 {
		s.drop(id, src, dst.addr, kind, reason, err)
		return
	}
	s.st.delivered++
	dst.stats.received++
	if kind >= 0 {
		s.kindStats[kind].Delivered++
	}
	s.tr.rec(tagDeliver, s.now)
	s.tr.u64(id)
	s.tr.end()
	if s.tr.text() {
		s.tr.startLine(s.now, "deliver")
		s.tr.id(id)
		s.tr.arrow(src.addr, dst.addr)
		s.tr.endLine()
	}
	dst.m.Step(s.now, m)
	s.drain(dst, false)
}

func (s *Sim[M]) allocSlot() int32 {
	if n := len(s.freeSlots); n > 0 {
		ref := s.freeSlots[n-1]
		s.freeSlots = s.freeSlots[:n-1]
		return ref
	}
	s.slots = append(s.slots, slot[M]{})
	return int32(len(s.slots) - 1)
}

func (s *Sim[M]) drop(id uint64, src *node[M], dst string, kind int32, r DropReason, err error) {
	s.st.dropped++
	s.st.drops[r]++
	src.stats.dropped++
	if kind >= 0 {
		s.kindStats[kind].Dropped++
	}
	s.tr.rec(tagDrop, s.now)
	s.tr.u64(id)
	s.tr.buf = append(s.tr.buf, byte(r))
	s.tr.end()
	if s.tr.text() {
		s.tr.startLine(s.now, "drop")
		s.tr.id(id)
		s.tr.arrow(src.addr, dst)
		s.tr.kv("reason", r.String())
		if err != nil {
			s.tr.kv("err", strconv.Quote(err.Error()))
		}
		s.tr.endLine()
	}
}

func (s *Sim[M]) traceSend(id uint64, src, dst string, kind int32, m M, data []byte, encErr error) {
	s.tr.rec(tagSend, s.now)
	s.tr.u64(id)
	s.tr.str(src)
	s.tr.str(dst)
	switch {
	case s.codec:
		s.tr.bytes(data)
	case s.cfg.Fingerprint != nil:
		s.fp = s.cfg.Fingerprint(s.fp[:0], m)
		s.tr.bytes(s.fp)
	default:
		s.fp = fmt.Appendf(s.fp[:0], "%+v", m)
		s.tr.bytes(s.fp)
	}
	s.tr.end()
	if !s.tr.text() {
		return
	}
	s.tr.startLine(s.now, "send")
	s.tr.id(id)
	s.tr.arrow(src, dst)
	if kind >= 0 {
		s.tr.kv("kind", s.kindNames[kind])
	}
	switch {
	case s.codec && encErr == nil:
		s.tr.kv("len", strconv.Itoa(len(data)))
		s.tr.hexPayload(data)
	case s.codec:
		s.tr.kv("len", "-")
	default:
		s.tr.valuePayload(m)
	}
	s.tr.endLine()
}

// linkKey names the directed link src→dst.
func linkKey(src, dst int32) uint64 { return uint64(uint32(src))<<32 | uint64(uint32(dst)) }

func (s *Sim[M]) link(src, dst int32) *Link {
	if len(s.links) > 0 {
		if l, ok := s.links[linkKey(src, dst)]; ok {
			return l
		}
	}
	return &s.def
}

// cut reports why src cannot reach dst right now (0: it can).
func (s *Sim[M]) cut(src, dst *node[M], l *Link) DropReason {
	if src.group != dst.group {
		return DropPartition
	}
	if !l.up(int64(s.now)) {
		return DropLinkDown
	}
	return 0
}
