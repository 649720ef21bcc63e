package txn

import (
	"time"

	"github.com/detrans/detrans/ring"
)

// View changes. The node that owns a slot's anchor on the ring (anchor ∈ (pred, self]) but is
// not that slot's member proposes the view with itself in the slot: this covers joins (the
// newcomer takes over anchors from its successor), failures and leaves (the dead node's
// successor inherits its anchors) and ring merges. The change is single-decree Paxos for epoch
// e+1 among the members of view e: a majority must promise and accept, so a minority side of a
// partition can never change a view it is not the majority of. An acceptor that accepted e+1
// is fenced: it serves no epoch-e operation any more. Every member of the chosen view then
// pulls the group's state from a majority of view e before it serves (transfer.go).

type proposal struct {
	base     View
	want     View
	ballot   uint64
	highest  uint64
	phase    int
	promises map[string]Message
	accepts  map[string]bool
	value    View
	next     Time
	started  Time
	fromRing bool // want is our own reading of the ring (not a value recovered from acceptors)
}

// reconfigure proposes a view change for the first slot whose anchor we own but whose holder is
// not the node it should be: the first of us and our successors that holds none of the earlier
// slots (so a group has as many distinct members as the ring allows).
func (m *Machine) reconfigure(now Time) {
	if !m.ring.joined || m.ring.pred.IsZero() {
		return
	}
	alone := m.ring.pred.Addr == m.self.Addr
	for g := range m.groups {
		if m.props[g] != nil || m.pulls[g] != nil {
			continue
		}
		v := m.newest(g)
		if v.IsZero() {
			continue
		}
		for i := range v.Slots {
			a := m.pl.Anchor(g, i)
			if !alone && !ring.Between(m.ring.pred.ID, a, m.self.ID) {
				continue
			}
			want := m.slotHolder(v, i)
			if want.Addr == v.Slots[i].Addr {
				continue
			}
			m.propose(now, v, moveSlot(v, i, want)) // one slot per change: at most one member in and one out
			m.props[g].fromRing = true
			break
		}
	}
}

// slotHolder is who should hold slot i of v, seen from the anchor's owner (us): the first of
// us and our successors that holds none of the earlier slots (Placement.Slots' rule), else us.
func (m *Machine) slotHolder(v View, i int) ring.NodeRef {
	for _, cand := range m.ring.order {
		if !containsRef(v.Slots[:i], cand.Addr) {
			return cand
		}
	}
	return m.self
}

// moveSlot is v with want in slot i. When want already holds a later slot, it hands that slot
// to the node it displaces: the two trade places and the group keeps every member. Taking slot i
// on top would shrink a group of three to two although nobody left (an owner whose ring is
// stale after a partition, or one that inherits a neighbour's anchor): the crash of either
// remaining member would then take the majority of that view for good, and with it every
// further view change. Only when want also holds an earlier slot (the ring has fewer nodes than
// slots) does the group shrink, as the placement wants.
func moveSlot(v View, i int, want ring.NodeRef) View {
	nv := v.Clone()
	nv.Slots[i] = want
	if containsRef(v.Slots[:i], want.Addr) {
		return nv
	}
	for j := i + 1; j < len(nv.Slots); j++ {
		if nv.Slots[j].Addr == want.Addr {
			nv.Slots[j] = v.Slots[i]
			break
		}
	}
	return nv
}

// staleShrink reports a change of ours that would make the group smaller although a member
// outside our ring promised. We shrink a group only when the ring has fewer nodes than slots
// (moveSlot); a member we do not know answering means our ring is not the whole ring — a node
// alone on its side of a split whose network heals before the rings merge — and the member we
// would drop may well be alive. Shrinking then would leave the group on fewer nodes than it
// needs, one crash away from never changing again (TestLoneStaleOwnerKeepsGroupSize).
func (m *Machine) staleShrink(p *proposal) bool {
	if len(p.want.Members()) >= len(p.base.Members()) {
		return false
	}
	for _, addr := range sortedKeys(p.promises) {
		if addr != m.self.Addr && !containsRef(m.ring.nodes, addr) {
			return true
		}
	}
	return false
}

func (m *Machine) propose(now Time, base, want View) {
	p := &proposal{base: base, want: want, started: now}
	m.props[base.Group] = p
	m.prepareProposal(now, p)
}

func (m *Machine) prepareProposal(now Time, p *proposal) {
	p.ballot = m.ballotFor(max(p.highest, p.ballot))
	p.phase = 1
	p.promises = map[string]Message{}
	p.accepts = map[string]bool{}
	p.next = now.Add(20 * m.cfg.RetryInterval)
	for _, mem := range p.base.Members() {
		m.send(Message{Type: MsgVPrepare, To: mem, Group: uint32(p.base.Group), Epoch: p.base.Epoch + 1, Ballot: p.ballot})
	}
}

// tickProposals retries stalled proposals and finishes view changes that an acceptor accepted
// but never saw chosen (the proposer died between the phases).
func (m *Machine) tickProposals(now Time) {
	for g, gs := range m.groups {
		p := m.props[g]
		if p != nil {
			if m.newest(g).Epoch > p.base.Epoch || now.Sub(p.started) > 10*time.Second {
				delete(m.props, g) // overtaken, or hopeless for now: start afresh later
				continue
			}
			if now >= p.next {
				m.prepareProposal(now, p)
			}
			continue
		}
		if gs.accEpoch > gs.view.Epoch && gs.view.Has(m.self.Addr) && m.pulls[g] == nil && now.Sub(gs.accAt) >= 4*m.cfg.ReconfigPeriod {
			// We accepted a value for the next epoch that was never announced: run Paxos for
			// that epoch ourselves; phase 1 recovers whatever value may have been chosen.
			m.propose(now, gs.view.Clone(), gs.accView.Clone())
		}
	}
}

func (m *Machine) onVPrepare(now Time, msg Message) {
	g := int(msg.Group)
	if g < 0 || g >= len(m.groups) {
		return
	}
	gs := m.groups[g]
	rep := Message{Type: MsgVPromise, To: msg.From, Group: msg.Group, Epoch: msg.Epoch, Ballot: msg.Ballot}
	switch {
	case gs.view.Epoch >= msg.Epoch:
		rep.Code, rep.View = CodeStale, m.newest(g)
	case gs.view.Epoch+1 < msg.Epoch:
		rep.Code = CodeBehind
	case !gs.view.Has(m.self.Addr):
		rep.Code = CodeNotMember
	case gs.promEpoch == msg.Epoch && msg.Ballot <= gs.promised:
		rep.Code, rep.Ballot = CodeNack, gs.promised
	default:
		gs.promEpoch, gs.promised = msg.Epoch, msg.Ballot
		m.persistGroupMeta(gs)
		rep.Code = CodeOK
		if gs.accEpoch == msg.Epoch {
			rep.View, rep.Seq = gs.accView.Clone(), gs.accBallot
		}
	}
	m.send(rep)
}

func (m *Machine) onVPromise(now Time, msg Message) {
	p := m.props[int(msg.Group)]
	if p == nil || msg.Epoch != p.base.Epoch+1 || !p.base.Has(msg.From.Addr) {
		return
	}
	switch msg.Code {
	case CodeStale:
		m.learn(msg.View)
		delete(m.props, p.base.Group)
		m.catchUp(now)
		return
	case CodeNack:
		if msg.Ballot > p.highest {
			p.highest = msg.Ballot
			p.next = now.Add(m.cfg.RetryInterval * time.Duration(1+m.rng.IntN(20)))
		}
		return
	case CodeOK:
	default:
		return
	}
	if p.phase != 1 || msg.Ballot != p.ballot {
		return
	}
	p.promises[msg.From.Addr] = msg
	if len(p.promises) < p.base.Quorum() {
		return
	}
	p.value = p.want
	var best uint64
	adopted := false
	for _, addr := range sortedKeys(p.promises) {
		pr := p.promises[addr]
		if !pr.View.IsZero() && pr.Seq >= best {
			best, p.value, adopted = pr.Seq, pr.View, true
		}
	}
	if p.fromRing && !adopted && m.staleShrink(p) {
		// Park it until tickProposals drops it (started + 10 s) instead of asking again every
		// ReconfigPeriod while the rings merge.
		p.phase = 0
		p.next = p.started.Add(time.Minute)
		return
	}
	p.value.Epoch = p.base.Epoch + 1
	p.value.Group = p.base.Group
	p.phase = 2
	for _, mem := range p.base.Members() {
		m.send(Message{Type: MsgVAccept, To: mem, Group: msg.Group, Epoch: p.value.Epoch, Ballot: p.ballot, View: p.value})
	}
}

func (m *Machine) onVAccept(now Time, msg Message) {
	g := int(msg.Group)
	if g < 0 || g >= len(m.groups) || msg.View.Group != g || msg.View.Epoch != msg.Epoch || len(msg.View.Slots) != m.pl.Replicas {
		return
	}
	gs := m.groups[g]
	rep := Message{Type: MsgVAccepted, To: msg.From, Group: msg.Group, Epoch: msg.Epoch, Ballot: msg.Ballot}
	switch {
	case gs.view.Epoch >= msg.Epoch:
		rep.Code, rep.View = CodeStale, m.newest(g)
	case gs.view.Epoch+1 < msg.Epoch:
		rep.Code = CodeBehind
	case !gs.view.Has(m.self.Addr):
		rep.Code = CodeNotMember
	case gs.promEpoch == msg.Epoch && msg.Ballot < gs.promised:
		rep.Code, rep.Ballot = CodeNack, gs.promised
	default:
		gs.promEpoch, gs.promised = msg.Epoch, msg.Ballot
		gs.accEpoch, gs.accBallot, gs.accView = msg.Epoch, msg.Ballot, msg.View.Clone()
		gs.accAt = now
		m.persistGroupMeta(gs)
		rep.Code = CodeOK
	}
	m.send(rep)
}

func (m *Machine) onVAccepted(now Time, msg Message) {
	p := m.props[int(msg.Group)]
	if p == nil || p.phase != 2 || msg.Ballot != p.ballot || msg.Epoch != p.value.Epoch || !p.base.Has(msg.From.Addr) {
		if p != nil && msg.Code == CodeStale {
			m.learn(msg.View)
		}
		return
	}
	if msg.Code != CodeOK {
		if msg.Code == CodeNack && msg.Ballot > p.highest {
			p.highest = msg.Ballot
		}
		return
	}
	p.accepts[msg.From.Addr] = true
	if len(p.accepts) < p.base.Quorum() {
		return
	}
	delete(m.props, p.base.Group)
	chosen := Message{Type: MsgVChosen, View: p.value, Views: []View{p.base}}
	sent := map[string]bool{}
	for _, v := range []View{p.base, p.value} {
		for _, mem := range v.Members() {
			if sent[mem.Addr] {
				continue
			}
			sent[mem.Addr] = true
			c := chosen
			c.To = mem
			if mem.Addr == m.self.Addr {
				c.From = m.self
				m.onVChosen(now, c)
				continue
			}
			m.send(c)
		}
	}
	// Our ring neighbours learn it by gossip; tell them now so clients route right away.
	m.learn(p.value)
}

func (m *Machine) onVChosen(now Time, msg Message) {
	v := msg.View
	if v.Group < 0 || v.Group >= len(m.groups) || len(v.Slots) != m.pl.Replicas {
		return
	}
	m.learn(v)
	gs := m.groups[v.Group]
	if gs.view.Epoch >= v.Epoch {
		return
	}
	if !v.Has(m.self.Addr) {
		m.installNonMember(now, v)
		return
	}
	source := v
	if len(msg.Views) == 1 && msg.Views[0].Epoch+1 == v.Epoch && msg.Views[0].Group == v.Group {
		source = msg.Views[0]
	}
	if p := m.pulls[v.Group]; p != nil && p.target.Epoch >= v.Epoch {
		return
	}
	m.startPull(now, v, source)
}

// installNonMember records a view that does not include us; data we held is retired (kept a
// while for members that still pull from us).
func (m *Machine) installNonMember(now Time, v View) {
	gs := m.groups[v.Group]
	if gs.view.Epoch >= v.Epoch {
		return
	}
	wasMember := gs.view.Has(m.self.Addr)
	gs.view = v.Clone()
	gs.ready = false
	if wasMember {
		// Keep answering pulls for a while, also for a group we hold nothing of: the new
		// members need a majority of the old view to answer, empty or not.
		gs.retiredAt = now
	}
	delete(m.pulls, v.Group)
	m.persistGroupMeta(gs)
	m.emit(Event{Kind: EvViewInstalled, Group: v.Group})
}

// install makes v this node's view of its group; ready says the state is complete.
func (m *Machine) install(now Time, v View, ready bool) {
	gs := m.groups[v.Group]
	gs.view = v.Clone()
	gs.ready = ready && v.Has(m.self.Addr)
	if gs.ready {
		gs.readyEpoch = v.Epoch
		gs.retiredAt = 0
	}
	m.learn(v)
	m.persistGroupMeta(gs)
	m.emit(Event{Kind: EvViewInstalled, Group: v.Group})
}

// tickRetired drops the data of groups we left long enough ago.
func (m *Machine) tickRetired(now Time) {
	for _, gs := range m.groups {
		if gs.retiredAt == 0 || now.Sub(gs.retiredAt) < m.cfg.RetireTTL || gs.view.Has(m.self.Addr) {
			continue
		}
		b := m.batch()
		for _, k := range keysOf(gs.items) {
			b.Delete(KeyPos([]byte(k)), []byte(k))
		}
		gs.items = map[string]*item{}
		gs.locked = map[string]bool{}
		gs.retiredAt = 0
		gs.readyEpoch = 0
		m.persistGroupMeta(gs)
	}
}
