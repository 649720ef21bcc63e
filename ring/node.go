package ring

import (
	"math/rand/v2"
	"slices"
	"time"
)

// Node is the ring state machine of one peer. Not safe for concurrent use: the driver owns it.
type Node struct {
	cfg  Config
	self NodeRef
	rng  *rand.Rand

	joined  bool
	leaving bool
	left    bool

	pred      NodeRef           // zero: unknown
	succs     []NodeRef         // nearest first; never contains self
	preds     []NodeRef         // nearest first; preds[0] == pred when pred is known
	fingers   []NodeRef         // fingers[i] = owner of self + fingerOffsets[i]; zero: unknown
	fingerSet []NodeRef         // distinct fingers, for routing
	incs      map[string]uint64 // newest incarnation seen per address (bounded)
	offsets   []ID              // finger offsets, nearest first

	passive   []PassiveEntry
	fd        detector
	heard     []NodeRef // nodes recently heard from, bounded (merge.go)
	heardNext int       // the oldest entry of heard once it is full

	// Lookups this node started, by request id.
	nextReq  uint64
	lookups  map[uint64]*pendingLookup
	deadline []lookupDeadline // FIFO: every lookup has the same timeout

	// Join in progress (not joined yet).
	contacts     []NodeRef
	joinAttempt  int
	joinDeadline Time

	leaveDeadline Time
	leaveAcks     map[string]bool

	nextStab   Time
	nextFinger Time
	finger     fingerRound

	out Output
}

type lookupPurpose uint8

const (
	purposeUser lookupPurpose = iota + 1
	purposeFinger
)

type pendingLookup struct {
	key     ID
	purpose lookupPurpose
	index   int // finger index for purposeFinger
}

type lookupDeadline struct {
	id uint64
	at Time
}

// New creates a node that is not yet part of any ring. All randomness derives from seed.
func New(cfg Config, self NodeRef, seed int64) *Node {
	cfg = cfg.WithDefaults()
	n := &Node{
		cfg:     cfg,
		self:    self,
		rng:     rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15)),
		lookups: map[uint64]*pendingLookup{},
		offsets: fingerOffsets(cfg.FingerBase),
		incs:    map[string]uint64{},
	}
	n.fingers = make([]NodeRef, len(n.offsets))
	n.fd.init(cfg)
	return n
}

// Self is this node's reference.
func (n *Node) Self() NodeRef { return n.self }

// Joined reports whether the node is part of a ring.
func (n *Node) Joined() bool { return n.joined }

// Bootstrap starts joining through contacts; with no contacts the node forms a ring of its own.
func (n *Node) Bootstrap(now Time, contacts []NodeRef) {
	if n.joined || n.left {
		return
	}
	n.contacts = nil
	for _, c := range contacts {
		if c.Addr != n.self.Addr && !c.IsZero() {
			n.contacts = append(n.contacts, c)
		}
	}
	if len(n.contacts) == 0 {
		n.pred = n.self
		n.becomeJoined(now)
		return
	}
	n.joinAttempt = 0
	n.sendJoin(now)
}

func (n *Node) becomeJoined(now Time) {
	n.joined = true
	n.contacts = nil
	n.joinDeadline = 0
	n.nextStab = now.Add(n.jitter(n.cfg.StabilizePeriod))
	n.nextFinger = now.Add(n.jitter(n.cfg.StabilizePeriod))
	n.emit(Event{Kind: EvJoined, Node: n.self})
}

// jitter returns a random duration in [d/2, d): periodic work of many nodes must not align.
func (n *Node) jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + time.Duration(n.rng.Int64N(int64(d/2)))
}

// Step delivers one message addressed to this node.
func (n *Node) Step(now Time, m Message) {
	if n.left || m.From.Addr == n.self.Addr && m.Type != MsgLookup && m.Type != MsgJoin {
		return
	}
	if m.To.Inc != 0 && m.To.Inc != n.self.Inc && (m.Type == MsgLookupReply || m.Type == MsgJoinAck) {
		return // an answer to a request an earlier incarnation of this node made
	}
	if !n.admit(now, m.From) || (!m.Origin.IsZero() && !n.admit(now, m.Origin)) {
		return // from an incarnation older than one we know: a ghost of a restarted node
	}
	if n.isPassive(m.From) {
		// Someone we removed as failed is talking to us: maybe across a healed partition.
		n.emit(Event{Kind: EvPassiveContact, Node: m.From})
	}
	n.fd.heard(now, m.From.Addr)
	n.noteHeard(m.From)
	n.noteHeard(m.Origin)
	if !n.joined {
		switch m.Type {
		case MsgJoinAck:
			n.onJoinAck(now, m)
		case MsgPing:
			n.send(Message{Type: MsgPong, To: m.From, Sent: m.Sent})
		case MsgJoin:
			// We are joining ourselves: pass the joiner on to our own contact, so chains of
			// nodes that joined through each other do not wait for each other's retries.
			if len(n.contacts) > 0 && m.Origin.Addr != n.self.Addr && int(m.Hops) < n.cfg.MaxHops {
				m.To = n.contacts[(n.joinAttempt+len(n.contacts)-1)%len(n.contacts)]
				m.Hops++
				n.send(m)
			}
		}
		return
	}
	switch m.Type {
	case MsgLookup, MsgJoin:
		n.route(now, m)
	case MsgLookupReply:
		n.onLookupReply(now, m)
	case MsgJoinAck:
		// Already joined (a duplicate or a retried join answered twice): nothing to do.
	case MsgNewSucc:
		n.onNewSucc(now, m)
	case MsgStabilize:
		n.onStabilize(now, m)
	case MsgStabReply:
		n.onStabReply(now, m)
	case MsgPing:
		n.send(Message{Type: MsgPong, To: m.From, Sent: m.Sent})
	case MsgPong:
		n.fd.answered(now, m.From.Addr, m.Sent)
	case MsgLeave:
		n.onLeave(now, m)
	case MsgLeaveAck:
		n.onLeaveAck(now, m)
	}
}

// admit checks r's incarnation against the newest we have seen of the same address. A newer
// incarnation means the node restarted: every entry for the old one is dropped at once (it is
// not a partition, so it does not go to the passive list). An older one is refused.
func (n *Node) admit(now Time, r NodeRef) bool {
	if r.Addr == n.self.Addr {
		return r.Inc == n.self.Inc || r.Inc == 0
	}
	if r.Inc == 0 {
		return true
	}
	known, ok := n.incs[r.Addr]
	switch {
	case !ok:
		if len(n.incs) >= maxIncs {
			clear(n.incs) // bounded memory; forgetting only delays noticing a restart
		}
		n.incs[r.Addr] = r.Inc
	case r.Inc < known:
		return false
	case r.Inc > known:
		n.incs[r.Addr] = r.Inc
		n.drop(now, NodeRef{ID: r.ID, Addr: r.Addr, Inc: known}, false)
	}
	return true
}

const maxIncs = 1 << 14

// Tick advances timers; call it at Output.Wake or periodically.
func (n *Node) Tick(now Time) {
	if n.left {
		return
	}
	n.expireLookups(now)
	if !n.joined {
		if n.joinDeadline != 0 && now >= n.joinDeadline {
			n.sendJoin(now)
		}
		return
	}
	if n.leaving {
		if now >= n.leaveDeadline {
			n.finishLeave()
		}
		return
	}
	n.fd.tick(now, n)
	if now >= n.nextStab {
		n.nextStab = now.Add(n.cfg.StabilizePeriod)
		n.stabilize(now)
	}
	if now >= n.nextFinger {
		n.startFingerRound(now)
		n.nextFinger = now.Add(n.jitter(max(n.finger.period, n.cfg.FingerPeriod)))
	}
}

// Ready returns and clears the output collected since the previous call.
func (n *Node) Ready() Output {
	o := n.out
	n.out = Output{}
	o.Wake = n.wake()
	return o
}

func (n *Node) wake() Time {
	var w Time
	at := func(t Time) {
		if t != 0 && (w == 0 || t < w) {
			w = t
		}
	}
	if len(n.deadline) > 0 {
		at(n.deadline[0].at)
	}
	switch {
	case n.left:
		return 0
	case !n.joined:
		at(n.joinDeadline)
	case n.leaving:
		at(n.leaveDeadline)
	default:
		at(n.nextStab)
		at(n.nextFinger)
		at(n.fd.wake())
	}
	return w
}

func (n *Node) send(m Message) {
	m.From = n.self
	n.out.Msgs = append(n.out.Msgs, m)
}

func (n *Node) emit(ev Event) { n.out.Events = append(n.out.Events, ev) }

// State returns a snapshot of the node's view.
func (n *Node) State() State {
	st := State{
		Self:    n.self,
		Joined:  n.joined && !n.left,
		Pred:    n.pred,
		Succs:   slices.Clone(n.succs),
		Preds:   slices.Clone(n.preds),
		Passive: slices.Clone(n.passive),
	}
	if st.Succs == nil {
		st.Succs = []NodeRef{}
	}
	if n.joined && len(n.succs) == 0 {
		st.Succs = []NodeRef{n.self} // alone: my successor is myself
	}
	st.FingerNodes = n.fingerNodes()
	st.Fingers = len(st.FingerNodes)
	st.Suspected = n.fd.suspects()
	return st
}

// succ is the first successor, or self when alone.
func (n *Node) succ() NodeRef {
	if len(n.succs) == 0 {
		return n.self
	}
	return n.succs[0]
}

// Owns reports whether key lies in this node's range (pred, self]. A node whose predecessor is
// unknown owns nothing for certain: routing decides then.
func (n *Node) Owns(key ID) bool {
	if !n.joined || n.pred.IsZero() {
		return false
	}
	if n.pred.Addr == n.self.Addr {
		return true
	}
	return Between(n.pred.ID, key, n.self.ID)
}
