package txn

import (
	"encoding/hex"
	"slices"
	"time"

	"github.com/detrans/detrans/ring"
)

// Paxos Commit (Gray & Lamport), as Scalaris uses it: every replica's vote on every key is one
// Paxos instance whose acceptors are the transaction's acceptors. On the fast path the replica
// proposes its own vote at ballot 0 and the acceptors report to the TM; the transaction
// commits iff every key has a majority of its replicas with a chosen "prepared" vote. When the
// TM is silent, any node (an acceptor on a timer, the TM on its deadline) recovers: phase 1
// with a higher ballot on every instance, re-proposing what some acceptor accepted and "abort"
// for the rest, so the outcome is decided exactly once whoever finishes it.

type accRecord struct {
	tm        ring.NodeRef
	accs      []ring.NodeRef
	parts     []Part
	inst      map[string]*instance
	promised  uint64
	decided   Code
	writes    []Item
	decidedAt Time
	next      Time
	waiters   []ring.NodeRef
	dirty     bool // changed since the last Ready: written then (see persistRecord)
}

type gcEntry struct {
	tx TxID
	at Time
}

type instance struct {
	key      []byte
	replica  string
	ballot   uint64
	prepared bool
}

func instKey(key []byte, replica string) string { return string(key) + "\x00" + replica }

// record returns the acceptor record of tx, creating it (undecided) if needed.
func (m *Machine) record(now Time, tx TxID, tm ring.NodeRef, accs []ring.NodeRef, parts []Part) *accRecord {
	rec := m.acc[tx]
	if rec == nil {
		rec = &accRecord{inst: map[string]*instance{}, next: now.Add(m.recoveryDelay())}
		m.acc[tx] = rec
		m.undecided[tx] = rec
	}
	if rec.tm.IsZero() && !tm.IsZero() {
		rec.tm = tm
	}
	if len(rec.accs) == 0 && len(accs) > 0 {
		rec.accs = slices.Clone(accs)
	}
	if len(rec.parts) == 0 && len(parts) > 0 {
		rec.parts = slices.Clone(parts)
	}
	return rec
}

// recoveryDelay spreads recoveries of different acceptors so they rarely duel.
func (m *Machine) recoveryDelay() time.Duration {
	d := m.cfg.RecoveryTimeout
	return d + time.Duration(m.rng.Int64N(int64(d)))
}

func (m *Machine) onVote(now Time, msg Message) {
	if rec, acc := m.acceptVote(now, msg); len(acc) > 0 && !rec.tm.IsZero() {
		a := Message{Type: MsgAccepted, To: rec.tm, Tx: msg.Tx, Votes: acc}
		if msg.Seq&voteAccepted != 0 && rec.tm.Addr != m.self.Addr && sameVotes(acc, msg.Votes) {
			// We hold exactly the values the replica's own acceptor accepted: one message
			// tells the TM of both acceptances (a TM outside the group gets no vote itself).
			a.Seq = acceptedByReplicaToo
		}
		m.send(a)
	}
	if msg.Seq&voteAccepted != 0 && len(msg.Votes) > 0 {
		// The sender's own acceptor accepted these values, durably, before the vote left: count
		// that acceptance as if it had come as its own message (we are the TM if anyone is).
		m.onAccepted(now, Message{Type: MsgAccepted, From: msg.From, To: m.self, Tx: msg.Tx, Votes: msg.Votes})
	}
}

// Flags in a vote's Seq.
const (
	// voteAccepted: the sending replica's own acceptor accepted exactly these values in the
	// batch that holds the replica's lock (see onPrepare).
	voteAccepted = 1 << iota
	// voteResent: the vote answers a resent prepare. A first vote that finds the transaction
	// decided gets no answer: the decision's broadcast reaches its replica anyway (and a lost
	// one is asked for when the lock times out); a resent vote may mean it was lost.
	voteResent
)

// Flags in a fast-path acceptance's Seq.
const (
	// acceptedByReplicaToo: the own acceptor of each vote's replica accepted the same value
	// (the vote came with voteAccepted), so the TM counts that acceptance as well.
	acceptedByReplicaToo = 1 << iota
)

// acceptVote is the acceptor's side of a vote: every instance keeps the first value it gets at
// ballot 0 (persisted), and the values held for the vote's instances are returned. A decided
// transaction answers with its decision instead.
func (m *Machine) acceptVote(now Time, msg Message) (*accRecord, []Vote) {
	rec := m.record(now, msg.Tx, msg.TM, msg.Acceptors, msg.Parts)
	if rec.decided != 0 {
		if msg.Seq&voteResent != 0 {
			m.sendDecision(msg.Tx, rec, []ring.NodeRef{msg.From})
		}
		return rec, nil
	}
	var acc []Vote
	for _, v := range msg.Votes {
		if v.Replica != msg.From.Addr || rec.promised > 0 {
			continue // a vote is proposed only by its own replica, and only before any recovery
		}
		k := instKey(v.Key, v.Replica)
		if in := rec.inst[k]; in != nil {
			acc = append(acc, Vote{Key: v.Key, Replica: v.Replica, Prepared: in.prepared})
			continue
		}
		rec.inst[k] = &instance{key: v.Key, replica: v.Replica, prepared: v.Prepared}
		acc = append(acc, Vote{Key: v.Key, Replica: v.Replica, Prepared: v.Prepared})
	}
	if len(acc) > 0 {
		m.persistRecord(msg.Tx, rec)
	}
	return rec, acc
}

func (m *Machine) onOutcome(now Time, msg Message) {
	rec := m.record(now, msg.Tx, msg.TM, msg.Acceptors, msg.Parts)
	if rec.decided != 0 {
		m.sendDecision(msg.Tx, rec, []ring.NodeRef{msg.From})
		return
	}
	if !containsRef(rec.waiters, msg.From.Addr) {
		rec.waiters = append(rec.waiters, msg.From)
	}
	// A replica has waited LockTimeout already: the TM is slow or gone, recover soon.
	if soon := now.Add(10 * m.cfg.RetryInterval); rec.next > soon {
		rec.next = soon
	}
	if len(rec.inst) == 0 && rec.promised == 0 {
		m.persistRecord(msg.Tx, rec)
	}
}

// decideAcceptor records a decision if we hold a record of tx, and tells whoever waited.
func (m *Machine) decideAcceptor(now Time, msg Message) {
	rec := m.acc[msg.Tx]
	if rec == nil || rec.decided != 0 {
		return
	}
	rec.decided = msg.Code
	rec.decidedAt = now
	delete(m.undecided, msg.Tx)
	m.gcq = append(m.gcq, gcEntry{tx: msg.Tx, at: now})
	rec.writes = nil
	for _, it := range msg.Items {
		if it.Write {
			rec.writes = append(rec.writes, it)
		}
	}
	m.persistRecord(msg.Tx, rec)
	if len(rec.waiters) > 0 {
		m.sendDecision(msg.Tx, rec, rec.waiters)
		rec.waiters = nil
	}
	delete(m.recov, msg.Tx)
}

func (m *Machine) sendDecision(tx TxID, rec *accRecord, to []ring.NodeRef) {
	for _, r := range to {
		m.send(Message{Type: MsgDecide, To: r, Tx: tx, Code: rec.decided, Items: decisionItems(rec.parts, rec.writes)})
	}
}

// decisionItems lists every participant key (so locks are released) with the writes' values.
func decisionItems(parts []Part, writes []Item) []Item {
	out := make([]Item, 0, len(parts))
	for _, p := range parts {
		it := Item{Key: p.Key}
		for _, w := range writes {
			if sameKey(w.Key, p.Key) {
				it = w
				break
			}
		}
		out = append(out, it)
	}
	return out
}

func (m *Machine) tickAcceptor(now Time) {
	for len(m.gcq) > 0 && now.Sub(m.gcq[0].at) >= m.cfg.RecordTTL {
		tx := m.gcq[0].tx
		m.gcq = m.gcq[1:]
		delete(m.acc, tx)
		m.batch().DeleteMeta(recordName(tx))
	}
	for _, tx := range sortedTx(m.undecided) {
		rec := m.undecided[tx]
		if now < rec.next {
			continue
		}
		rec.next = now.Add(m.recoveryDelay())
		if len(rec.accs) > 0 && len(rec.parts) > 0 {
			m.startRecovery(now, tx, rec.tm, rec.accs, rec.parts)
		}
	}
	for _, tx := range sortedTx(m.recov) {
		r := m.recov[tx]
		if now >= r.next {
			m.startRecovery(now, tx, r.tm, r.accs, r.parts)
		}
	}
}

func sortedTx[V any](mp map[TxID]V) []TxID {
	out := make([]TxID, 0, len(mp))
	for tx := range mp {
		out = append(out, tx)
	}
	slices.SortFunc(out, func(a, b TxID) int { return compareTx(a, b) })
	return out
}

func compareTx(a, b TxID) int {
	for i := range a {
		if a[i] != b[i] {
			return int(a[i]) - int(b[i])
		}
	}
	return 0
}

func recordName(tx TxID) string { return "acc-" + hex.EncodeToString(tx[:]) }

// recovery is a leader's state while it forces a decision.
type recovery struct {
	tm       ring.NodeRef
	accs     []ring.NodeRef
	parts    []Part
	ballot   uint64
	highest  uint64
	phase    int
	promises map[string][]Vote
	accepted map[string]bool
	values   []Vote
	next     Time
}

// ballotFor makes ballots unique per node: round in the high bits, our id in the low ones.
func (m *Machine) ballotFor(above uint64) uint64 {
	round := above>>32 + 1
	return round<<32 | (m.self.ID.Lo & 0xffffffff) | 1
}

func (m *Machine) startRecovery(now Time, tx TxID, tm ring.NodeRef, accs []ring.NodeRef, parts []Part) {
	r := m.recov[tx]
	if r == nil {
		r = &recovery{tm: tm, accs: slices.Clone(accs), parts: slices.Clone(parts)}
		m.recov[tx] = r
	}
	if rec := m.acc[tx]; rec != nil && rec.promised > r.highest {
		r.highest = rec.promised
	}
	r.ballot = m.ballotFor(max(r.highest, r.ballot))
	r.phase = 1
	r.promises = map[string][]Vote{}
	r.accepted = map[string]bool{}
	r.next = now.Add(m.recoveryDelay())
	for _, a := range r.accs {
		m.send(Message{Type: MsgP1a, To: a, Tx: tx, Ballot: r.ballot, Acceptors: r.accs, Parts: r.parts, TM: r.tm})
	}
}

func (m *Machine) onP1a(now Time, msg Message) {
	rec := m.record(now, msg.Tx, msg.TM, msg.Acceptors, msg.Parts)
	if rec.decided != 0 {
		m.sendDecision(msg.Tx, rec, []ring.NodeRef{msg.From})
		return
	}
	if msg.Ballot <= rec.promised {
		m.send(Message{Type: MsgP1b, To: msg.From, Tx: msg.Tx, Ballot: rec.promised, Code: CodeNack})
		return
	}
	rec.promised = msg.Ballot
	m.persistRecord(msg.Tx, rec)
	rep := Message{Type: MsgP1b, To: msg.From, Tx: msg.Tx, Ballot: msg.Ballot, Code: CodeOK}
	for _, k := range sortedInst(rec.inst) {
		in := rec.inst[k]
		rep.Votes = append(rep.Votes, Vote{Key: in.key, Replica: in.replica, Prepared: in.prepared, Ballot: in.ballot})
	}
	m.send(rep)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func sortedInst(mp map[string]*instance) []string {
	keys := make([]string, 0, len(mp))
	for k := range mp {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (m *Machine) onP1b(now Time, msg Message) {
	r := m.recov[msg.Tx]
	if r == nil || r.phase != 1 {
		return
	}
	if msg.Code == CodeNack {
		if msg.Ballot > r.highest {
			r.highest = msg.Ballot
			r.next = now.Add(m.cfg.RetryInterval * time.Duration(1+m.rng.IntN(10)))
		}
		return
	}
	if msg.Ballot != r.ballot || !containsRef(r.accs, msg.From.Addr) {
		return
	}
	r.promises[msg.From.Addr] = msg.Votes
	if len(r.promises) < len(r.accs)/2+1 {
		return
	}
	// Phase 2: for every instance, the value accepted at the highest ballot, else abort.
	//
	// Ballot 0 is the replica's own vote, and a replica may vote twice with different values
	// (a prepare resent or duplicated after it applied the decision and unlocked finds the
	// version moved; an "abort" because of another transaction's lock may later be
	// "prepared"). Acceptors keep the first value they got, so the promises may show both
	// values at ballot 0. A value was chosen at ballot 0 only if a majority accepted it:
	// propose the one value that still may have been, abort if neither may have, and wait for
	// more promises while both may have (once every acceptor answered, at most one can).
	r.values = r.values[:0]
	q := len(r.accs)/2 + 1
	unknown := len(r.accs) - len(r.promises)
	for _, p := range r.parts {
		for _, rep := range p.Members {
			v := Vote{Key: p.Key, Replica: rep}
			best := int64(-1)
			var at0 [2]int // acceptors holding "abort", "prepared" at ballot 0
			for _, a := range sortedKeys(r.promises) {
				for _, pv := range r.promises[a] {
					if pv.Replica != rep || !sameKey(pv.Key, p.Key) {
						continue
					}
					if pv.Ballot == 0 {
						at0[b2i(pv.Prepared)]++
					}
					if int64(pv.Ballot) > best {
						best, v.Prepared = int64(pv.Ballot), pv.Prepared
					}
				}
			}
			if best == 0 && at0[0] > 0 && at0[1] > 0 {
				maybeNo, maybeYes := at0[0]+unknown >= q, at0[1]+unknown >= q
				if maybeNo && maybeYes {
					return
				}
				v.Prepared = maybeYes
			}
			r.values = append(r.values, v)
		}
	}
	r.phase = 2
	for _, a := range r.accs {
		m.send(Message{Type: MsgP2a, To: a, Tx: msg.Tx, Ballot: r.ballot, Votes: r.values, Acceptors: r.accs, Parts: r.parts, TM: r.tm})
	}
}

func sortedKeys[V any](mp map[string]V) []string {
	keys := make([]string, 0, len(mp))
	for k := range mp {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (m *Machine) onP2a(now Time, msg Message) {
	rec := m.record(now, msg.Tx, msg.TM, msg.Acceptors, msg.Parts)
	if rec.decided != 0 {
		m.sendDecision(msg.Tx, rec, []ring.NodeRef{msg.From})
		return
	}
	if msg.Ballot < rec.promised {
		m.send(Message{Type: MsgP1b, To: msg.From, Tx: msg.Tx, Ballot: rec.promised, Code: CodeNack})
		return
	}
	rec.promised = msg.Ballot
	for _, v := range msg.Votes {
		rec.inst[instKey(v.Key, v.Replica)] = &instance{key: v.Key, replica: v.Replica, ballot: msg.Ballot, prepared: v.Prepared}
	}
	m.persistRecord(msg.Tx, rec)
	m.send(Message{Type: MsgAccepted, To: msg.From, Tx: msg.Tx, Ballot: msg.Ballot})
}

// recovAccepted counts phase-2 acceptances of a recovery; a majority decides every instance.
func (m *Machine) recovAccepted(now Time, msg Message) {
	r := m.recov[msg.Tx]
	if r == nil || r.phase != 2 || msg.Ballot != r.ballot || !containsRef(r.accs, msg.From.Addr) {
		return
	}
	r.accepted[msg.From.Addr] = true
	if len(r.accepted) < len(r.accs)/2+1 {
		return
	}
	chosen := map[string]bool{}
	for _, v := range r.values {
		chosen[instKey(v.Key, v.Replica)] = v.Prepared
	}
	_, commit := outcome(r.parts, chosen, true)
	code := CodeAbort
	if commit {
		code = CodeCommit
	}
	delete(m.recov, msg.Tx)
	dec := Message{Type: MsgDecide, Tx: msg.Tx, Code: code, Items: decisionItems(r.parts, nil)}
	m.broadcastDecision(now, dec, r.parts, r.accs, r.tm)
}

// broadcastDecision sends a decision to every participant replica, every acceptor and the TM,
// and applies it here (the node may be any of those).
func (m *Machine) broadcastDecision(now Time, dec Message, parts []Part, accs []ring.NodeRef, tm ring.NodeRef) {
	sent := map[string]bool{m.self.Addr: true}
	for _, a := range accs {
		if !sent[a.Addr] {
			sent[a.Addr] = true
			d := dec
			d.To = a
			m.send(d)
		}
	}
	if !tm.IsZero() && !sent[tm.Addr] {
		sent[tm.Addr] = true
		d := dec
		d.To = tm
		m.send(d)
	}
	for _, p := range parts {
		for _, addr := range p.Members {
			if sent[addr] {
				continue
			}
			sent[addr] = true
			to := refOf(addr)
			d := dec
			d.To = to
			m.send(d)
		}
	}
	self := dec
	self.From, self.To = m.self, m.self
	m.onDecide(now, self)
}

// outcome applies the commit rule to the chosen instances (instKey → prepared): decided
// reports whether the rule can tell yet, commit whether it commits. With final, an instance
// missing from chosen counts as aborted (recovery chose abort for it); otherwise it is pending.
func outcome(parts []Part, chosen map[string]bool, final bool) (decided, commit bool) {
	decided = true
	for _, p := range parts {
		n := len(p.Members)
		q := n/2 + 1
		yes, no := 0, 0
		for _, rep := range p.Members {
			prep, ok := chosen[instKey(p.Key, rep)]
			switch {
			case ok && prep:
				yes++
			case ok || final:
				no++
			}
		}
		switch {
		case yes >= q:
		case no > n-q:
			return true, false
		default:
			decided = false
		}
	}
	return decided, decided
}

func refOf(addr string) ring.NodeRef {
	return ring.NodeRef{ID: ring.HashKey([]byte(addr)), Addr: addr}
}
