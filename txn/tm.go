package txn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/detrans/detrans/ring"
)

// The transaction manager: this node's clients' reads and commits. Reads are quorum reads that
// accept only a consistent quorum (a majority of the view's members answering for the same
// epoch) and wait out write locks that may hide a newer value. Commits run Paxos Commit with
// the members of the first key's group as acceptors.

var (
	// ErrConflict: the transaction lost a race (a version moved or a key was locked); retry it.
	ErrConflict = errors.New("txn: conflict")
	// ErrNoQuorum: no consistent quorum answered in time (offline, minority side of a
	// partition, or a group whose majority is down).
	ErrNoQuorum = errors.New("txn: no quorum reachable")
	// ErrUnknownOutcome: a commit's outcome could not be learnt in time; it may still commit.
	// It also matches ErrNoQuorum (errors.Is), so check it first where the two differ.
	ErrUnknownOutcome error = unknownOutcome{}
)

type unknownOutcome struct{}

func (unknownOutcome) Error() string {
	return "txn: commit outcome unknown (no quorum of acceptors reachable)"
}

func (unknownOutcome) Is(target error) bool { return target == ErrNoQuorum }

// Op is one key of a transaction: the version it read (0: absent) and, for writes, the new value.
type Op struct {
	Key         []byte
	ReadVersion uint64
	Write       bool
	Value       []byte
	Delete      bool
}

// TxSpec is a transaction to commit. A zero ID gets a fresh one.
type TxSpec struct {
	ID  TxID
	Ops []Op
}

type readOp struct {
	locked   bool // the last quorum showed a pending write
	key      []byte
	g        int
	view     View
	replies  map[string]Item
	asked    []ring.NodeRef // members asked in this round: a quorum first, all after widen
	widened  bool
	hedge    Time // ask the other members too if no quorum answered by then
	next     Time
	deadline Time
}

// Read starts a quorum read of key; EvReadDone carries the result.
func (m *Machine) Read(now Time, key []byte) uint64 {
	m.nextReq++
	id := m.nextReq
	if len(key) == 0 || len(key) > maxKeySize {
		m.emit(Event{Kind: EvReadDone, ReqID: id, Key: key, Err: errorf("key of %d bytes: must be 1..%d", len(key), maxKeySize)})
		return id
	}
	op := &readOp{key: key, g: m.pl.GroupOf(key), deadline: now.Add(m.cfg.RequestTimeout)}
	m.reads[id] = op
	m.sendRead(now, id, op)
	return id
}

// sendRead asks a quorum of the key's group first (this node itself when a member: its answer
// costs no message), and the rest only if they have not answered within RetryInterval or one
// refuses (widen). A healthy read then costs half the messages of asking everyone; a slow or
// down member costs one RetryInterval.
func (m *Machine) sendRead(now Time, id uint64, op *readOp) {
	op.view = m.known[op.g]
	op.replies = map[string]Item{}
	op.next = now.Add(10 * m.cfg.RetryInterval)
	op.hedge = now.Add(m.cfg.RetryInterval)
	op.widened = false
	if op.view.IsZero() {
		m.askViews(op.g)
		return
	}
	mems := op.view.Members()
	order := make([]ring.NodeRef, 0, len(mems))
	for _, mem := range mems {
		if mem.Addr == m.self.Addr {
			order = append(order, mem)
		}
	}
	// The others in a rotation by request id, so that readers spread over the replicas.
	for i := range mems {
		mem := mems[(i+int(id%uint64(len(mems))))%len(mems)]
		if mem.Addr != m.self.Addr {
			order = append(order, mem)
		}
	}
	op.asked = order[:op.view.Quorum()]
	for _, mem := range op.asked {
		m.send(Message{Type: MsgRead, To: mem, Seq: id, Group: uint32(op.g), Epoch: op.view.Epoch, Items: []Item{{Key: op.key}}})
	}
}

// widenRead asks the members of the read's view it has not asked yet.
func (m *Machine) widenRead(id uint64, op *readOp) {
	if op.widened || op.view.IsZero() {
		return
	}
	op.widened = true
	for _, mem := range op.view.Members() {
		if slices.ContainsFunc(op.asked, func(r ring.NodeRef) bool { return r.Addr == mem.Addr }) {
			continue
		}
		op.asked = append(op.asked, mem)
		m.send(Message{Type: MsgRead, To: mem, Seq: id, Group: uint32(op.g), Epoch: op.view.Epoch, Items: []Item{{Key: op.key}}})
	}
}

func (m *Machine) onReadReply(now Time, msg Message) {
	op := m.reads[msg.Seq]
	if op == nil || int(msg.Group) != op.g {
		return
	}
	if msg.View.Epoch > op.view.Epoch {
		m.learn(msg.View)
	}
	if msg.Code != CodeOK {
		if m.known[op.g].Epoch > op.view.Epoch {
			m.sendRead(now, msg.Seq, op) // our view was stale: start over with the newer one
		} else {
			m.widenRead(msg.Seq, op) // a member that cannot answer: the others may
		}
		return
	}
	if msg.Epoch != op.view.Epoch || !op.view.Has(msg.From.Addr) || len(msg.Items) != 1 || !sameKey(msg.Items[0].Key, op.key) {
		return
	}
	op.replies[msg.From.Addr] = msg.Items[0]
	if len(op.replies) < op.view.Quorum() {
		return
	}
	var best Item
	var lock uint64
	for _, addr := range sortedKeys(op.replies) {
		it := op.replies[addr]
		if it.Version > best.Version {
			best = it
		}
		lock = max(lock, it.Target)
	}
	if lock > best.Version {
		// A write that may already be acknowledged is still being applied: read again shortly.
		op.replies = map[string]Item{}
		op.next = now.Add(m.cfg.RetryInterval)
		op.widened = true // no widening of this round: the re-read at op.next asks afresh
		op.locked = true
		return
	}
	delete(m.reads, msg.Seq)
	found := best.Version > 0 && !best.Deleted
	ev := Event{Kind: EvReadDone, ReqID: msg.Seq, Key: op.key, Version: best.Version, Found: found}
	if found {
		ev.Value = best.Value
	}
	m.emit(ev)
}

func (m *Machine) tickReads(now Time) {
	for _, id := range sortedIDs(m.reads) {
		op := m.reads[id]
		switch {
		case now >= op.deadline:
			delete(m.reads, id)
			err := ErrNoQuorum
			if op.locked {
				err = fmt.Errorf("%w: a pending write on %q was not resolved in time", ErrNoQuorum, op.key)
			}
			m.emit(Event{Kind: EvReadDone, ReqID: id, Key: op.key, Err: err})
		case now >= op.next:
			m.sendRead(now, id, op)
		case now >= op.hedge:
			m.widenRead(id, op)
		}
	}
}

func sortedIDs[V any](mp map[uint64]V) []uint64 {
	out := make([]uint64, 0, len(mp))
	for id := range mp {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

type commitOp struct {
	id        uint64
	tx        TxID
	ops       []Op
	parts     []Part
	accs      []ring.NodeRef
	acks      map[string]map[string]bool // instance → acceptor → prepared
	chosen    map[string]bool
	asked     map[string]bool // instances whose replica got a prepare (a quorum per key first)
	started   bool
	hedge     Time // ask every replica if no decision by then (zero once all were asked)
	next      Time
	deadline  Time
	recovered bool
}

// NewTxID returns a fresh transaction id from this node's identity and a counter.
func (m *Machine) NewTxID() TxID {
	m.nextTx++
	var id TxID
	binary.BigEndian.PutUint64(id[:8], m.self.ID.Hi^m.self.Inc)
	binary.BigEndian.PutUint64(id[8:], m.nextTx)
	return id
}

// Commit starts committing spec; EvCommitDone carries the result.
func (m *Machine) Commit(now Time, spec TxSpec) uint64 {
	m.nextReq++
	id := m.nextReq
	if err := m.checkSpec(spec); err != nil {
		m.emit(Event{Kind: EvCommitDone, ReqID: id, Tx: spec.ID, Err: err})
		return id
	}
	if spec.ID == (TxID{}) {
		spec.ID = m.NewTxID()
	}
	if old := m.byTx[spec.ID]; old != nil {
		m.emit(Event{Kind: EvCommitDone, ReqID: id, Tx: spec.ID, Err: errorf("transaction %x is already being committed", spec.ID[:])})
		return id
	}
	op := &commitOp{id: id, tx: spec.ID, ops: spec.Ops, deadline: now.Add(m.cfg.RequestTimeout)}
	m.commits[id] = op
	m.byTx[spec.ID] = op
	m.startCommit(now, op)
	return id
}

func (m *Machine) checkSpec(spec TxSpec) error {
	if len(spec.Ops) == 0 {
		return errorf("empty transaction")
	}
	seen := map[string]bool{}
	size := 0
	for _, o := range spec.Ops {
		if len(o.Key) == 0 || len(o.Key) > maxKeySize {
			return errorf("key of %d bytes: must be 1..%d", len(o.Key), maxKeySize)
		}
		if len(o.Value) > MaxValueSize {
			return errorf("value of %d bytes for key %q: at most %d", len(o.Value), o.Key, MaxValueSize)
		}
		if seen[string(o.Key)] {
			return errorf("key %q appears twice in one transaction", o.Key)
		}
		seen[string(o.Key)] = true
		size += len(o.Key) + len(o.Value)
	}
	if size > MaxMessageSize/2 {
		return errorf("transaction of %d bytes: at most %d", size, MaxMessageSize/2)
	}
	return nil
}

// startCommit sends the prepares once every group's view is known.
func (m *Machine) startCommit(now Time, op *commitOp) {
	op.next = now.Add(10 * m.cfg.RetryInterval)
	op.parts = op.parts[:0]
	for _, o := range op.ops {
		g := m.pl.GroupOf(o.Key)
		v := m.known[g]
		if v.IsZero() {
			m.askViews(g)
			return
		}
		p := Part{Key: o.Key, Group: uint32(g), Epoch: v.Epoch}
		for _, mem := range v.Members() {
			p.Members = append(p.Members, mem.Addr)
		}
		op.parts = append(op.parts, p)
	}
	op.accs = m.known[m.pl.GroupOf(op.ops[0].Key)].Members()
	op.acks = map[string]map[string]bool{}
	op.chosen = map[string]bool{}
	op.asked = map[string]bool{}
	op.started = true
	op.hedge = now.Add(m.cfg.RetryInterval)
	ask := map[string]bool{}
	for i, p := range op.parts {
		for _, addr := range quorumFirst(p.Members, m.self.Addr, op.id+uint64(i)) {
			ask[instKey(p.Key, addr)] = true
		}
	}
	m.sendPrepares(op, ask, 0)
}

// quorumFirst picks the replicas of a key a prepare goes to first: a majority, this node first
// when it is a member (its vote costs no message), the others in a rotation by seed so that
// transactions spread over the replicas. Commit needs a majority of prepared votes per key, so
// the rest are asked only when one of these votes no, or no decision came within RetryInterval:
// a healthy commit then costs a third fewer prepares, votes, locks and fsyncs. Decisions still
// go to every replica, so the ones not asked apply committed writes all the same.
func quorumFirst(members []string, self string, seed uint64) []string {
	q := len(members)/2 + 1
	out := make([]string, 0, len(members))
	if slices.Contains(members, self) {
		out = append(out, self)
	}
	for i := range members {
		addr := members[(i+int(seed%uint64(len(members))))%len(members)]
		if addr != self {
			out = append(out, addr)
		}
	}
	return out[:q]
}

// widen asks the replicas of key (every key when key is nil) that have not had a prepare yet.
func (m *Machine) widen(op *commitOp, key []byte) {
	ask := map[string]bool{}
	for _, p := range op.parts {
		if key != nil && !sameKey(p.Key, key) {
			continue
		}
		for _, addr := range p.Members {
			if k := instKey(p.Key, addr); !op.asked[k] {
				ask[k] = true
			}
		}
	}
	if key == nil {
		op.hedge = 0
	}
	if len(ask) > 0 {
		m.sendPrepares(op, ask, 0)
	}
}

// sendPrepares sends the instances in ask (key, replica) their prepare, the keys of one group
// to one member in one message. attempt 1 marks a resend, which asks for votes to every acceptor.
func (m *Machine) sendPrepares(op *commitOp, ask map[string]bool, attempt uint64) {
	type dest struct {
		g    int
		addr string
	}
	byDest := map[dest][]Item{}
	var order []dest
	for i, o := range op.ops {
		p := op.parts[i]
		for _, addr := range p.Members {
			if !ask[instKey(p.Key, addr)] {
				continue
			}
			op.asked[instKey(p.Key, addr)] = true
			d := dest{int(p.Group), addr}
			if _, ok := byDest[d]; !ok {
				order = append(order, d)
			}
			byDest[d] = append(byDest[d], Item{Key: o.Key, Version: o.ReadVersion, Write: o.Write, Value: o.Value, Deleted: o.Delete})
		}
	}
	for _, d := range order {
		m.send(Message{Type: MsgPrepare, To: refOf(d.addr), Seq: attempt, Tx: op.tx, Group: uint32(d.g), Epoch: op.parts[m.partIndex(op, d.g)].Epoch, Items: byDest[d], Acceptors: op.accs, Parts: op.parts})
	}
}

func (m *Machine) partIndex(op *commitOp, g int) int {
	for i, p := range op.parts {
		if int(p.Group) == g {
			return i
		}
	}
	return 0
}

// onAccepted dispatches phase-2b messages: ballot 0 to the TM, higher ballots to a recovery.
func (m *Machine) onAccepted(now Time, msg Message) {
	if msg.Ballot != 0 {
		m.recovAccepted(now, msg)
		return
	}
	op := m.byTx[msg.Tx]
	if op == nil || !op.started || !containsRef(op.accs, msg.From.Addr) {
		return
	}
	q := len(op.accs)/2 + 1
	var refused [][]byte // keys a replica was chosen to refuse in this message
	for _, v := range msg.Votes {
		k := instKey(v.Key, v.Replica)
		if _, done := op.chosen[k]; done {
			continue
		}
		a := op.acks[k]
		if a == nil {
			a = map[string]bool{}
			op.acks[k] = a
		}
		a[msg.From.Addr] = v.Prepared // an acceptor keeps the first ballot-0 value it got
		if msg.Seq&acceptedByReplicaToo != 0 && containsRef(op.accs, v.Replica) {
			a[v.Replica] = v.Prepared
		}
		// A replica asked again after it lost its lock may vote differently (see onP1b), so
		// acceptors may hold different values: chosen means a majority accepted this one.
		same := 0
		for _, p := range a {
			if p == v.Prepared {
				same++
			}
		}
		if same >= q {
			op.chosen[k] = v.Prepared
			if !v.Prepared {
				refused = append(refused, v.Key)
			}
		}
	}
	decided, commit := outcome(op.parts, op.chosen, false)
	if !decided {
		for _, key := range refused {
			m.widen(op, key) // the replicas not asked yet may still make a majority
		}
		return
	}
	code := CodeAbort
	if commit {
		code = CodeCommit
	}
	dec := Message{Type: MsgDecide, Tx: op.tx, Code: code, Items: m.writesOf(op)}
	m.broadcastDecision(now, dec, op.parts, op.accs, ring.NodeRef{})
}

// writesOf lists every key of op with, for writes, the value and the version it installs.
func (m *Machine) writesOf(op *commitOp) []Item {
	out := make([]Item, 0, len(op.ops))
	for _, o := range op.ops {
		it := Item{Key: o.Key}
		if o.Write {
			it = Item{Key: o.Key, Write: true, Value: o.Value, Deleted: o.Delete, Version: o.ReadVersion + 1}
		}
		out = append(out, it)
	}
	return out
}

// finishCommit reports a decision on one of our transactions to its client.
func (m *Machine) finishCommit(now Time, tx TxID, commit bool) {
	op := m.byTx[tx]
	if op == nil {
		return
	}
	delete(m.byTx, tx)
	delete(m.commits, op.id)
	ev := Event{Kind: EvCommitDone, ReqID: op.id, Tx: tx}
	if !commit {
		ev.Err = ErrConflict
	}
	m.emit(ev)
}

func (m *Machine) tickCommits(now Time) {
	for _, id := range sortedIDs(m.commits) {
		op := m.commits[id]
		switch {
		case !op.started && now >= op.deadline:
			delete(m.commits, id)
			delete(m.byTx, op.tx)
			m.emit(Event{Kind: EvCommitDone, ReqID: id, Tx: op.tx, Err: ErrNoQuorum})
		case !op.started && now >= op.next:
			m.startCommit(now, op)
		case op.started && now >= op.deadline && !op.recovered:
			// Votes did not reach a decision in time: force one (maybe abort) through recovery.
			op.recovered = true
			op.deadline = now.Add(m.cfg.RequestTimeout)
			op.next = op.deadline // no more re-sends; the next thing to do is give up at the deadline
			m.startRecovery(now, op.tx, m.self, op.accs, op.parts)
		case op.started && now >= op.deadline:
			delete(m.commits, id)
			delete(m.byTx, op.tx)
			m.emit(Event{Kind: EvCommitDone, ReqID: id, Tx: op.tx, Err: ErrUnknownOutcome})
		case op.started && now >= op.next && !op.recovered:
			op.next = now.Add(10 * m.cfg.RetryInterval)
			op.hedge = 0
			missing := map[string]bool{}
			for _, p := range op.parts {
				for _, addr := range p.Members {
					if _, ok := op.chosen[instKey(p.Key, addr)]; !ok {
						missing[instKey(p.Key, addr)] = true
					}
				}
			}
			m.sendPrepares(op, missing, 1)
		case op.started && op.hedge != 0 && now >= op.hedge && !op.recovered:
			m.widen(op, nil)
		}
	}
}

// IsNoQuorum reports whether err means the store could not reach a quorum.
func IsNoQuorum(err error) bool {
	return errors.Is(err, ErrNoQuorum) // ErrUnknownOutcome matches it too
}
