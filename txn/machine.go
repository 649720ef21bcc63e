package txn

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/store"
)

// Config holds the transaction layer's parameters. Zero fields take defaults.
type Config struct {
	Placement       Placement
	RequestTimeout  time.Duration // a read or commit without its quorum fails after this (default 3 s)
	RetryInterval   time.Duration // re-send to silent members; re-read when a lock hides the value (default 20 ms)
	LockTimeout     time.Duration // a replica asks the acceptors about a lock held this long (default 500 ms)
	RecoveryTimeout time.Duration // an acceptor recovers an undecided transaction after this (default 1–2 s)
	GossipPeriod    time.Duration // view gossip with ring neighbours (default 2 s)
	ReconfigPeriod  time.Duration // check owned anchors and pending view changes (default 500 ms)
	RecordTTL       time.Duration // decided acceptor records are kept this long (default 2 min)
	RetireTTL       time.Duration // data of a group we left is kept this long for pullers (default 10 min)
}

func (c Config) withDefaults() Config {
	if c.Placement.Groups == 0 {
		c.Placement = DefaultPlacement()
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.RequestTimeout, 3*time.Second)
	def(&c.RetryInterval, 20*time.Millisecond)
	def(&c.LockTimeout, 500*time.Millisecond)
	def(&c.RecoveryTimeout, time.Second)
	def(&c.GossipPeriod, 2*time.Second)
	def(&c.ReconfigPeriod, 500*time.Millisecond)
	def(&c.RecordTTL, 2*time.Minute)
	def(&c.RetireTTL, 10*time.Minute)
	return c
}

// Output is what the machine asks its driver to do. Persist must be durable before any of Msgs
// is sent (a vote, an accepted value or a lock is acknowledged only once it is on disk); Events
// may be delivered once Persist is durable too.
type Output struct {
	Persist *store.Batch
	Msgs    []Message
	Events  []Event
	Wake    ring.Time
}

// EventKind classifies an Event.
type EventKind uint8

const (
	EvReadDone      EventKind = iota + 1 // ReqID, Key, Value, Version, Found, Err
	EvCommitDone                         // ReqID, Tx, Err (nil: committed)
	EvViewInstalled                      // this node installed a view of Group (member or not)
	EvChange                             // a subscribed group's key changed: Group, Key, Value, Version, Found
)

// Event reports the end of a client operation or a change worth logging.
type Event struct {
	Kind    EventKind
	ReqID   uint64
	Key     []byte
	Value   []byte
	Version uint64
	Found   bool
	Tx      TxID
	Group   int
	Err     error
}

// Unbound reports whether a driver may hand ev out before the writes made before it are
// durable: a read's result shows committed state and a commit's outcome is decided by durable
// acceptances (see Message.Unbound). A change event waits: the feed's cursor counts applies,
// which must not be taken back after a watcher saw them.
func (e Event) Unbound() bool { return e.Kind == EvReadDone || e.Kind == EvCommitDone }

// Machine is the transaction layer of one peer: replica (participant) of the groups it is a
// member of, acceptor for Paxos Commit and for view changes, transaction manager for its own
// clients, and proposer of view changes for the anchors it owns. Not safe for concurrent use.
type Machine struct {
	periodic bool // TicksPeriodically: Ready computes no Wake
	cfg      Config
	pl       Placement
	self     ring.NodeRef
	rng      *rand.Rand

	groups []*group // index: group number
	known  []View   // latest known view of every group (gossip, replies)
	ring   ringView

	nextReq                  uint64
	nextTx                   uint64
	reads                    map[uint64]*readOp
	commits                  map[uint64]*commitOp
	byTx                     map[TxID]*commitOp
	acc                      map[TxID]*accRecord
	recov                    map[TxID]*recovery
	undecided                map[TxID]*accRecord // acceptor records still waiting for a decision
	gcq                      []gcEntry           // decided records in decision order, dropped after RecordTTL
	dirtyRecs                []TxID              // acceptor records changed since the last Ready, in change order
	recBody                  []byte              // scratch for writeRecord
	recVotes                 []Vote              // scratch for writeRecord
	props                    map[int]*proposal
	pulls                    map[int]*pull
	watches                  map[int]*watch
	parked, parkSpare        []parkedRead    // reads waiting for a lock to go (replica.go)
	parkCheck                bool            // a lock went since the parked reads were last checked
	heard                    map[string]Time // when a message from each peer last arrived (localread.go)
	nextGossip, nextReconfig Time

	out Output
}

// Time is the ring's virtual or real time.
type Time = ring.Time

// ringView is what the machine knows of the ring from the ring layer.
type ringView struct {
	joined bool
	pred   ring.NodeRef
	nodes  []ring.NodeRef // self, successors and predecessors: the neighbourhood we know
	order  []ring.NodeRef // self, then successors nearest first
	succ   ring.NodeRef
}

// New creates the transaction layer of a peer. Call Restore with its stored state, then
// either Create (the founder of a space) or nothing (a joiner learns views from others).
func New(cfg Config, self ring.NodeRef, seed int64) (*Machine, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Placement.Validate(); err != nil {
		return nil, err
	}
	m := &Machine{
		cfg: cfg, pl: cfg.Placement, self: self,
		rng:       rand.New(rand.NewPCG(uint64(seed), uint64(seed)*31+7)),
		groups:    make([]*group, cfg.Placement.Groups),
		known:     make([]View, cfg.Placement.Groups),
		reads:     map[uint64]*readOp{},
		commits:   map[uint64]*commitOp{},
		byTx:      map[TxID]*commitOp{},
		acc:       map[TxID]*accRecord{},
		recov:     map[TxID]*recovery{},
		undecided: map[TxID]*accRecord{},
		props:     map[int]*proposal{},
		pulls:     map[int]*pull{},
		watches:   map[int]*watch{},
		heard:     map[string]Time{},
	}
	for g := range m.groups {
		m.groups[g] = newGroup(g)
	}
	return m, nil
}

// Self is this node's reference.
func (m *Machine) Self() ring.NodeRef { return m.self }

// Placement is the key-to-group mapping in use.
func (m *Machine) Placement() Placement { return m.pl }

// Create makes this node the founder of a new space: it installs epoch-1 views of every group
// with itself in every slot. A node that restored views already does nothing.
func (m *Machine) Create(now Time) {
	for g, gs := range m.groups {
		if !gs.view.IsZero() {
			continue
		}
		v := View{Group: g, Epoch: 1, Slots: make([]ring.NodeRef, m.pl.Replicas)}
		for i := range v.Slots {
			v.Slots[i] = m.self
		}
		m.install(now, v, true)
	}
}

// SetRing tells the machine what the ring layer knows; call it after every membership event and
// periodically. st is the ring's State.
func (m *Machine) SetRing(now Time, st ring.State) {
	if m.nextReconfig == 0 {
		m.nextReconfig, m.nextGossip = now+1, now+1 // timers start with the first ring news
	}
	m.ring = ringView{joined: st.Joined, pred: st.Pred}
	m.ring.nodes = append(m.ring.nodes, m.self)
	for _, l := range [][]ring.NodeRef{st.Succs, st.Preds} {
		for _, r := range l {
			if r.Addr != m.self.Addr && !containsRef(m.ring.nodes, r.Addr) {
				m.ring.nodes = append(m.ring.nodes, r)
			}
		}
	}
	m.ring.order = []ring.NodeRef{m.self}
	for _, r := range st.Succs {
		if r.Addr != m.self.Addr && !containsRef(m.ring.order, r.Addr) {
			m.ring.order = append(m.ring.order, r)
		}
	}
	if len(st.Succs) > 0 {
		m.ring.succ = st.Succs[0]
	}
}

func containsRef(l []ring.NodeRef, addr string) bool {
	for _, r := range l {
		if r.Addr == addr {
			return true
		}
	}
	return false
}

// Step delivers one message addressed to this node.
func (m *Machine) Step(now Time, msg Message) {
	if msg.To.Inc != 0 && msg.To.Inc != m.self.Inc && isReply(msg.Type) {
		return // a reply to an earlier incarnation of this node: its request ids meant other things
	}
	m.noteHeard(now, msg.From.Addr)
	switch msg.Type {
	case MsgRead:
		m.onRead(now, msg)
	case MsgReadReply:
		m.onReadReply(now, msg)
	case MsgPrepare:
		m.onPrepare(now, msg)
	case MsgDecide:
		m.onDecide(now, msg)
	case MsgVote:
		m.onVote(now, msg)
	case MsgAccepted:
		m.onAccepted(now, msg)
	case MsgP1a:
		m.onP1a(now, msg)
	case MsgP1b:
		m.onP1b(now, msg)
	case MsgP2a:
		m.onP2a(now, msg)
	case MsgOutcome:
		m.onOutcome(now, msg)
	case MsgViews:
		m.onViews(now, msg)
	case MsgVPrepare:
		m.onVPrepare(now, msg)
	case MsgVPromise:
		m.onVPromise(now, msg)
	case MsgVAccept:
		m.onVAccept(now, msg)
	case MsgVAccepted:
		m.onVAccepted(now, msg)
	case MsgVChosen:
		m.onVChosen(now, msg)
	case MsgPull:
		m.onPull(now, msg)
	case MsgPullReply:
		m.onPullReply(now, msg)
	case MsgSubscribe:
		m.onSubscribe(now, msg)
	case MsgChanges:
		m.onChanges(now, msg)
	}
	if m.parkCheck {
		m.parkCheck = false
		m.releaseParked(now)
	}
}

// Tick runs timers.
func (m *Machine) Tick(now Time) {
	m.tickReads(now)
	m.tickCommits(now)
	m.tickAcceptor(now)
	m.tickLocks(now)
	m.tickPulls(now)
	m.tickWatches(now)
	m.parkCheck = false
	m.releaseParked(now) // the expired, and any whose lock went by a path that did not say so
	if now >= m.nextReconfig {
		m.nextReconfig = now.Add(m.cfg.ReconfigPeriod)
		m.reconfigure(now)
		m.tickProposals(now)
		m.tickRetired(now)
	}
	if now >= m.nextGossip {
		m.pruneHeard(now)
		m.nextGossip = now.Add(m.cfg.GossipPeriod/2 + time.Duration(m.rng.Int64N(int64(m.cfg.GossipPeriod))))
		m.gossip(now)
	}
}

// Ready returns and clears the output collected since the previous call.
func (m *Machine) Ready() Output {
	m.writeDirtyRecords()
	o := m.out
	m.out = Output{}
	o.Msgs = coalesceAccepted(o.Msgs)
	if !m.periodic {
		o.Wake = m.wake()
	}
	return o
}

// TicksPeriodically tells the machine that its driver ticks it on a fixed period and reads no
// Output.Wake: Ready then leaves Wake zero instead of walking every open operation for the
// earliest timer (about 4 % of a busy peer's CPU, on every Ready). Outputs are otherwise the same.
func (m *Machine) TicksPeriodically() { m.periodic = true }

// coalesceAccepted merges the fast-path acceptances one batch sends one TM for one transaction
// into the first of them: an acceptor often accepts its own replica's vote and another
// replica's in the same batch, and every message costs more than its bytes.
func coalesceAccepted(msgs []Message) []Message {
	n := 0
	for i := range msgs {
		if msgs[i].Type == MsgAccepted && msgs[i].Ballot == 0 {
			n++
		}
	}
	if n < 2 {
		return msgs
	}
	type dest struct {
		to  string
		tx  TxID
		seq uint64 // flags hold for every vote of a message: merge only alike
	}
	first := map[dest]int{}
	out := msgs[:0]
	for _, msg := range msgs {
		if msg.Type == MsgAccepted && msg.Ballot == 0 {
			d := dest{msg.To.Addr, msg.Tx, msg.Seq}
			if i, ok := first[d]; ok {
				out[i].Votes = append(slices.Clip(out[i].Votes), msg.Votes...)
				continue
			}
			first[d] = len(out)
		}
		out = append(out, msg)
	}
	return out
}

func (m *Machine) wake() Time {
	var w Time
	at := func(t Time) {
		if t != 0 && (w == 0 || t < w) {
			w = t
		}
	}
	at(m.nextGossip)
	at(m.nextReconfig)
	for _, r := range m.reads {
		at(r.next)
		if !r.widened {
			at(r.hedge)
		}
	}
	for _, c := range m.commits {
		at(c.next)
		at(c.hedge)
	}
	for _, a := range m.undecided {
		at(a.next)
	}
	if len(m.gcq) > 0 {
		at(m.gcq[0].at.Add(m.cfg.RecordTTL))
	}
	for _, r := range m.recov {
		at(r.next)
	}
	for _, p := range m.pulls {
		at(p.next)
	}
	for _, w := range m.watches {
		at(w.next)
	}
	for _, gs := range m.groups {
		at(gs.lockCheck)
	}
	for i := range m.parked {
		at(m.parked[i].since.Add(m.cfg.LockTimeout))
	}
	return w
}

func (m *Machine) send(msg Message) {
	msg.From = m.self
	m.out.Msgs = append(m.out.Msgs, msg) // to ourselves too: the driver feeds those back in order
}

func (m *Machine) emit(ev Event) { m.out.Events = append(m.out.Events, ev) }

func (m *Machine) batch() *store.Batch {
	if m.out.Persist == nil {
		m.out.Persist = &store.Batch{}
	}
	return m.out.Persist
}

// View returns the latest view of group g this node knows (zero if none).
func (m *Machine) View(g int) View { return m.known[g].Clone() }

// Installed returns the view this node installed for g and whether it is a ready member.
func (m *Machine) Installed(g int) (View, bool) {
	gs := m.groups[g]
	return gs.view.Clone(), gs.ready && gs.view.Has(m.self.Addr)
}

func errorf(format string, args ...any) error { return fmt.Errorf("txn: "+format, args...) }

// isReply reports message types that answer a request this node made; they correlate by
// request id or ballot, which a restarted node reuses.
func isReply(t MsgType) bool {
	switch t {
	case MsgReadReply, MsgAccepted, MsgP1b, MsgVPromise, MsgVAccepted, MsgPullReply:
		return true
	}
	return false
}
