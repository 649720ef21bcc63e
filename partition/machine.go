package partition

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/detrans/detrans/ring"
)

// Config holds the merge parameters. Zero fields take defaults.
type Config struct {
	// Probing of passive nodes: each entry's probes back off from ProbeMin (default 1 s, also
	// the delay of the first one) doubling up to ProbeMax (default 3 s), and every period γ at
	// most ProbeBudget probes go out (default 2), the entries longest due first. So a node sends
	// O(ProbeBudget) probes per γ however many nodes it lost and however long ago, and every
	// entry is probed at least every max(ProbeMax, len(passive)/ProbeBudget·γ): a heal is
	// noticed within a few γ after a split of any length.
	ProbeMin    time.Duration
	ProbeMax    time.Duration
	ProbeBudget int
	Fanout      int           // F: mlookups started per period (default 3)
	Period      time.Duration // γ: how often queued foreign nodes are taken up (default 500 ms)
	MaxHops     int           // routed mlookups are dropped beyond this (default 64)
	QueueLen    int           // bound of the queue of foreign nodes (default 64)
	// CheckPeriod: how often a node asks a random finger to place it in the finger's ring (a
	// routed mlookup of itself). In our own ring that stops at our neighbours for a few hops;
	// in another one — a fragment the ring broke into when a partition cut away the nodes that
	// linked it, whose nodes are on nobody's passive list — it starts the merge. Default 10 s.
	CheckPeriod time.Duration
	// SearchFor: after the ring removes a node, the node asks one node per period γ to place
	// it (the self-check's mlookup), round-robin over the nodes it knows of — its tables once
	// held them or it heard from them — that are not in its view; after SearchFor (default
	// 10 s) the pace halves, and again every SearchFor, until it is the self-check's. The
	// pieces a partition broke a side into find each other in seconds, not CheckPeriods, at
	// one message per γ at most.
	SearchFor time.Duration
}

func (c Config) withDefaults() Config {
	if c.ProbeMin <= 0 {
		c.ProbeMin = time.Second
	}
	if c.ProbeMax <= 0 {
		c.ProbeMax = 3 * time.Second
	}
	if c.ProbeMax < c.ProbeMin {
		c.ProbeMax = c.ProbeMin
	}
	if c.ProbeBudget <= 0 {
		c.ProbeBudget = 2
	}
	if c.Fanout <= 0 {
		c.Fanout = 3
	}
	if c.Period <= 0 {
		c.Period = 500 * time.Millisecond
	}
	if c.MaxHops <= 0 {
		c.MaxHops = 64
	}
	if c.QueueLen <= 0 {
		c.QueueLen = 64
	}
	if c.CheckPeriod <= 0 {
		c.CheckPeriod = 10 * time.Second
	}
	if c.SearchFor <= 0 {
		c.SearchFor = 10 * time.Second
	}
	return c
}

type probe struct {
	ref     ring.NodeRef
	next    ring.Time
	backoff time.Duration
}

// Machine is the partition layer of one peer. It reads and adjusts the peer's ring.Node, which
// must be the same driver's. Not safe for concurrent use.
type Machine struct {
	cfg  Config
	self ring.NodeRef
	r    *ring.Node
	rng  *rand.Rand

	probes    map[string]*probe
	queue     []ring.NodeRef
	known     []ring.NodeRef // nodes seen in our ring's tables over time (bounded)
	dirty     bool           // the ring changed since we last sampled its tables
	nextRound ring.Time
	nextSync  ring.Time
	nextCheck ring.Time
	nextProbe ring.Time // the next probe round (one per γ at most)

	// Search (see Config.SearchFor): one ask per searchEvery (0: not searching), which doubles
	// at searchStepEnd until it reaches CheckPeriod.
	searchEvery   time.Duration
	searchStepEnd ring.Time
	nextSearch    ring.Time
	asked         map[string]ring.Time // who was asked to place us, when (nodes outside our view)

	out  []Message
	sent map[MsgType]int
}

// New creates the layer over r.
func New(cfg Config, r *ring.Node, seed int64) *Machine {
	return &Machine{
		cfg: cfg.withDefaults(), self: r.Self(), r: r,
		rng:    rand.New(rand.NewPCG(uint64(seed), 131)),
		probes: map[string]*probe{},
		asked:  map[string]ring.Time{},
		sent:   map[MsgType]int{},
	}
}

// Sent reports how many messages of each type this peer sent (for the merge benchmarks).
func (m *Machine) Sent() map[MsgType]int {
	out := make(map[MsgType]int, len(m.sent))
	for k, v := range m.sent {
		out[k] = v
	}
	return out
}

func (m *Machine) send(msg Message) {
	msg.From = m.self
	m.sent[msg.Type]++
	m.out = append(m.out, msg)
}

// Ready drains the messages to send and the next wake time.
func (m *Machine) Ready() ([]Message, ring.Time) {
	o := m.out
	m.out = nil
	w := m.nextSync
	at := func(t ring.Time) {
		if t != 0 && (w == 0 || t < w) {
			w = t
		}
	}
	at(m.nextCheck)
	if len(m.queue) > 0 {
		at(m.nextRound)
	}
	if m.searchEvery != 0 {
		at(m.nextSearch)
	}
	var due ring.Time
	for _, p := range m.probes {
		if due == 0 || p.next < due {
			due = p.next
		}
	}
	if due != 0 {
		at(max(due, m.nextProbe))
	}
	return o, w
}

// Tick probes due passive nodes, searches, and takes up queued foreign nodes.
func (m *Machine) Tick(now ring.Time) {
	if now >= m.nextSync {
		m.nextSync = now.Add(m.cfg.ProbeMin)
		m.syncPassive(now)
	} else if m.dirty {
		m.remember(m.r.State())
	}
	if m.nextCheck == 0 {
		m.nextCheck = now.Add(m.jitter(m.cfg.CheckPeriod))
	} else if now >= m.nextCheck {
		m.nextCheck = now.Add(m.jitter(m.cfg.CheckPeriod))
		if m.searchEvery == 0 { // a search asks more often already
			m.selfCheck(now)
		}
	}
	if m.searchEvery != 0 {
		if now >= m.searchStepEnd {
			m.searchEvery *= 2
			m.searchStepEnd = now.Add(m.cfg.SearchFor)
		}
		switch {
		case m.searchEvery >= m.cfg.CheckPeriod:
			m.searchEvery, m.nextSearch = 0, 0 // the self-check goes on at that pace
		case now >= m.nextSearch:
			m.nextSearch = now.Add(m.searchEvery)
			if to := m.nextAsk(now); !to.IsZero() {
				m.askPlace(to)
			}
		}
	}
	if now >= m.nextProbe {
		m.probeRound(now)
	}
	if len(m.queue) > 0 && now >= m.nextRound {
		m.round(now)
	}
}

// round takes up to Fanout queued foreign nodes and starts the next round a period later.
func (m *Machine) round(now ring.Time) {
	m.nextRound = now.Add(m.cfg.Period)
	for i := 0; i < m.cfg.Fanout && len(m.queue) > 0; i++ {
		ref := m.queue[0]
		m.queue = m.queue[1:]
		if !m.r.InView(ref.Addr) {
			m.mlookup(ref, 0)
		}
	}
}

// probeRound sends at most ProbeBudget probes to due passive entries, those due longest first
// (ties by address, so replays match), and starts the next round a period later.
func (m *Machine) probeRound(now ring.Time) {
	var due []*probe
	for _, p := range m.probes {
		if p.next <= now {
			due = append(due, p)
		}
	}
	if len(due) == 0 {
		return
	}
	slices.SortFunc(due, func(a, b *probe) int {
		if a.next != b.next {
			return cmp.Compare(a.next, b.next)
		}
		return strings.Compare(a.ref.Addr, b.ref.Addr)
	})
	for _, p := range due[:min(len(due), m.cfg.ProbeBudget)] {
		m.send(Message{Type: MsgProbe, To: p.ref})
		p.next = now.Add(p.backoff)
		p.backoff = min(2*p.backoff, m.cfg.ProbeMax)
	}
	m.nextProbe = now.Add(m.cfg.Period)
}

// syncPassive keeps one probe per passive-list entry.
func (m *Machine) syncPassive(now ring.Time) {
	st := m.r.State()
	m.remember(st)
	live := map[string]bool{}
	for _, e := range st.Passive {
		live[e.Node.Addr] = true
		if p := m.probes[e.Node.Addr]; p == nil || p.ref.Inc != e.Node.Inc {
			m.probes[e.Node.Addr] = &probe{ref: e.Node, next: now.Add(m.cfg.ProbeMin), backoff: m.cfg.ProbeMin}
		}
	}
	for addr := range m.probes {
		if !live[addr] {
			delete(m.probes, addr)
		}
	}
}

// OnRingEvent takes the ring's events: a passive node talking to us is a detection.
func (m *Machine) OnRingEvent(now ring.Time, ev ring.Event) {
	switch ev.Kind {
	case ring.EvPassiveContact:
		m.detected(now, ev.Node, nil)
	case ring.EvRemoved:
		m.dirty = true
		fresh := m.searchEvery == 0
		m.searchEvery = m.cfg.Period
		m.searchStepEnd = now.Add(m.cfg.SearchFor)
		if fresh {
			// Ask at once: removals arrive after this instant's Tick ran, so a search left
			// due now would ask the driver for a tick at the time it just ticked.
			m.nextSearch = now.Add(m.searchEvery)
			if to := m.nextAsk(now); !to.IsZero() {
				m.askPlace(to)
			}
		}
	case ring.EvSuccessorChanged, ring.EvPredecessorChanged, ring.EvJoined:
		m.dirty = true
	}
}

// Detect tells the layer about a node that may be in another ring (a peer the driver found on
// the LAN or reconnected to): it is merged if it is not in our ring, at the cost of one routed
// mlookup if it is.
func (m *Machine) Detect(now ring.Time, ref ring.NodeRef) { m.detected(now, ref, nil) }

// detected queues a node of (probably) another ring, and some of its ring's nodes.
func (m *Machine) detected(now ring.Time, ref ring.NodeRef, more []ring.NodeRef) {
	m.r.ForgetPassive(ref.Addr)
	delete(m.probes, ref.Addr)
	for _, r := range append([]ring.NodeRef{ref}, more...) {
		if r.IsZero() || r.Addr == m.self.Addr || m.r.InView(r.Addr) || m.queued(r.Addr) {
			continue
		}
		if len(m.queue) >= m.cfg.QueueLen {
			break
		}
		m.queue = append(m.queue, r)
	}
	if len(m.queue) > 0 && m.nextRound <= now {
		// At once: a detection can arrive after this instant's Tick ran (ring events), and a
		// round left due now would ask the driver for a tick at the time it just ticked.
		m.round(now)
	}
}

func (m *Machine) queued(addr string) bool {
	for _, r := range m.queue {
		if r.Addr == addr {
			return true
		}
	}
	return false
}

// Step delivers one message.
func (m *Machine) Step(now ring.Time, msg Message) {
	if !m.r.Joined() {
		return
	}
	switch msg.Type {
	case MsgProbe:
		st := m.r.State()
		nodes := append(append([]ring.NodeRef{}, st.Succs...), st.FingerNodes...)
		if len(nodes) > maxNodes {
			nodes = nodes[:maxNodes]
		}
		m.send(Message{Type: MsgProbeReply, To: msg.From, Nodes: nodes})
	case MsgProbeReply:
		if p := m.probes[msg.From.Addr]; p != nil {
			// Alive: the same incarnation was across a partition, a new one restarted; either
			// way, if it is not in our ring, zip its ring into ours.
			m.detected(now, msg.From, msg.Nodes)
		}
	case MsgMLookup:
		m.mlookup(msg.Target, msg.Hops)
	case MsgTryMerge:
		m.trymerge(now, msg.CPred, msg.CSucc)
	}
}

// mlookup places foreign node id in our ring: if it falls between us and a neighbour, tell it
// (trymerge); else route on.
func (m *Machine) mlookup(id ring.NodeRef, hops uint32) {
	if id.IsZero() || id.Addr == m.self.Addr {
		return
	}
	succ, pred := m.r.Succ(), m.r.Pred()
	switch {
	case id.Addr == succ.Addr || id.Addr == pred.Addr:
		return // already our neighbour: nothing to merge here (a false detection ends here)
	case succ.Addr == m.self.Addr || ring.BetweenOpen(m.self.ID, id.ID, succ.ID):
		m.send(Message{Type: MsgTryMerge, To: id, CPred: m.self, CSucc: succ})
	case !pred.IsZero() && ring.BetweenOpen(pred.ID, id.ID, m.self.ID):
		m.send(Message{Type: MsgTryMerge, To: id, CPred: pred, CSucc: m.self})
	default:
		// Only strictly clockwise towards id: while two rings are half zipped, pointers can
		// lead in circles, and a walk that does not approach its target is wasted. The one
		// step back the ring takes is along its own predecessor list, when id falls in the
		// range of a predecessor (in a small ring that list reaches round to the nodes just
		// before id); MaxHops bounds what stale lists can do.
		next := m.r.NextHop(id.ID)
		back := func() bool {
			return slices.ContainsFunc(m.r.State().Preds, func(p ring.NodeRef) bool { return p.Addr == next.Addr })
		}
		if next.IsZero() || int(hops) >= m.cfg.MaxHops || !ring.BetweenOpen(m.self.ID, next.ID, id.ID) && !back() {
			return
		}
		m.send(Message{Type: MsgMLookup, To: next, Target: id, Hops: hops + 1})
	}
}

// trymerge: cpred and csucc are our neighbours in another ring. Continue the zip on our own ring
// first (place csucc among our neighbours), then adopt them where they fit.
func (m *Machine) trymerge(now ring.Time, cpred, csucc ring.NodeRef) {
	if csucc.Addr != m.self.Addr {
		m.mlookup(csucc, 0)
	}
	m.r.Adopt(now, cpred, csucc)
}

// jitter spreads periodic work of many nodes over [d/2, 3d/2).
func (m *Machine) jitter(d time.Duration) time.Duration {
	return d/2 + time.Duration(m.rng.Int64N(int64(d)))
}

// remember keeps a bounded sample of the nodes our ring's tables have held, so a node can still
// reach them after the ring broke apart around it.
func (m *Machine) remember(st ring.State) {
	const maxKnown = 64
	m.dirty = false
	for _, l := range [][]ring.NodeRef{st.Succs, st.Preds, st.FingerNodes} {
		for _, r := range l {
			if r.IsZero() || r.Addr == m.self.Addr || slices.ContainsFunc(m.known, func(k ring.NodeRef) bool { return k.Addr == r.Addr }) {
				continue
			}
			if len(m.known) < maxKnown {
				m.known = append(m.known, r)
			} else {
				m.known[m.rng.IntN(maxKnown)] = r
			}
		}
	}
}

// outside lists the nodes we know of (our tables once held them, or we heard from them) that
// are neither in our view nor passive: as far as we know alive, and not in our ring — or in it
// but beyond our tables (no news then, for a few hops).
func (m *Machine) outside() []ring.NodeRef {
	passive := map[string]bool{}
	for _, e := range m.r.State().Passive {
		passive[e.Node.Addr] = true
	}
	var out []ring.NodeRef
	for _, l := range [][]ring.NodeRef{m.known, m.r.Heard()} {
		for _, r := range l {
			if !m.r.InView(r.Addr) && !passive[r.Addr] && !slices.ContainsFunc(out, func(o ring.NodeRef) bool { return o.Addr == r.Addr }) {
				out = append(out, r)
			}
		}
	}
	return out
}

// askPlace sends to a node an mlookup of ourselves: "place me in your ring".
func (m *Machine) askPlace(to ring.NodeRef) {
	m.send(Message{Type: MsgMLookup, To: to, Target: m.self, Hops: 1})
}

// nextAsk picks the node to ask next to place us (the search and the self-check share it):
// round-robin over the nodes outside our view — one never asked first, else the one asked
// longest ago, ties at random. Going round and round matters: a node asked while the rings
// around us were still falling apart may have answered into a ring that is gone, and a node
// becomes one to ask only when it leaves our tables (a finger refreshed away, say). Zero if
// there is none.
func (m *Machine) nextAsk(now ring.Time) ring.NodeRef {
	if !m.r.Joined() {
		return ring.NodeRef{}
	}
	outside := m.outside()
	var cands []ring.NodeRef
	var oldest ring.Time
	for _, r := range outside {
		at := m.asked[r.Addr] // zero: never
		switch {
		case len(cands) == 0 || at < oldest:
			cands, oldest = append(cands[:0], r), at
		case at == oldest:
			cands = append(cands, r)
		}
	}
	// Forget nodes that are no longer outside: the map stays as small as the candidates.
	for a := range m.asked {
		if !slices.ContainsFunc(outside, func(r ring.NodeRef) bool { return r.Addr == a }) {
			delete(m.asked, a)
		}
	}
	if len(cands) == 0 {
		return ring.NodeRef{}
	}
	to := cands[m.rng.IntN(len(cands))]
	m.asked[to.Addr] = now
	return to
}

// selfCheck asks a node we know but that is not a neighbour (a finger or a node our tables once
// held) to place us in its ring (see Config.CheckPeriod).
func (m *Machine) selfCheck(now ring.Time) {
	if !m.r.Joined() {
		return
	}
	// Not nodes of our ring (no news there) and not passive ones (probed already, and
	// unreachable as far as we know): what is left is most likely another fragment.
	if to := m.nextAsk(now); !to.IsZero() {
		m.askPlace(to)
		return
	}
	// Nobody outside our view: ask the farthest finger to route our own id instead. In one ring
	// the lookup ends at our predecessor (a false detection: a few hops); in a loopy ring, whose
	// successor cycle winds around the id space more than once, a lookup from far away can end
	// at a node of the other winding whose successor skips us, and that node zips the windings
	// together.
	st := m.r.State()
	far := ring.NodeRef{}
	for _, f := range st.FingerNodes {
		if f.Addr != m.self.Addr && f.Addr != st.Pred.Addr && (len(st.Succs) == 0 || f.Addr != st.Succs[0].Addr) {
			far = f // in ring order from self: the last is the farthest
		}
	}
	if !far.IsZero() {
		m.askPlace(far)
	}
}

// Known lists the nodes this layer knows of outside the ring's tables: a bounded sample of the
// nodes the tables held over time, and the nodes recently heard from (for status and for
// checking, in tests, that a side's members know each other).
func (m *Machine) Known() []ring.NodeRef {
	out := slices.Clone(m.known)
	for _, r := range m.r.Heard() {
		if !slices.ContainsFunc(out, func(k ring.NodeRef) bool { return k.Addr == r.Addr }) {
			out = append(out, r)
		}
	}
	return out
}
