package txn

import (
	"bytes"
	"slices"

	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/store"
)

// The participant (replica) side: quorum reads, prepare votes with the no-wait lock rule,
// decisions, and asking the acceptors about locks held too long.

// group is this node's state for one replica group.
type group struct {
	idx        int    // group number
	view       View   // the latest view installed here (member or not)
	ready      bool   // member of view and holding its complete state
	readyEpoch uint64 // highest epoch at which this node was a ready member
	retiredAt  Time   // left the group at this time; data kept for pullers until RetireTTL
	items      map[string]*item
	locked     map[string]bool // keys with a lock, for the lock timer
	seq        uint64          // change counter: bumped whenever an item's committed state changes
	subs       map[string]*sub // change-feed subscribers by address (soft state)

	// Paxos acceptor state for the next view.
	promEpoch uint64
	promised  uint64
	accEpoch  uint64
	accBallot uint64
	accView   View
	accAt     Time

	lockCheck Time

	// handedOff is the epoch of this member's view whose state it handed to a member of a
	// newer, chosen view (transfer.go): it answers no data request of that epoch any more.
	handedOff uint64
}

type item struct {
	store.Item
	lockedAt Time
}

func newGroup(g int) *group {
	return &group{idx: g, items: map[string]*item{}, locked: map[string]bool{}, subs: map[string]*sub{}}
}

// fenced: a view change for the next epoch was accepted here, or this member's state of the
// current epoch was handed to the next view; no operation of the current epoch may complete
// through this member any more.
func (gs *group) fenced() bool { return gs.accEpoch > gs.view.Epoch || gs.handedOff >= gs.view.Epoch }

// serving reports whether this member may answer data requests of the named epoch.
func (m *Machine) status(g int, epoch uint64) (Code, *group) {
	if g < 0 || g >= len(m.groups) {
		return CodeNotMember, nil
	}
	gs := m.groups[g]
	switch {
	case gs.view.Epoch > epoch:
		return CodeStale, gs
	case gs.view.Epoch < epoch:
		return CodeBehind, gs
	case !gs.view.Has(m.self.Addr):
		return CodeNotMember, gs
	case !gs.ready || gs.fenced():
		return CodeNotReady, gs
	}
	return CodeOK, gs
}

func (m *Machine) onRead(now Time, msg Message) { m.answerRead(now, msg, now) }

// answerRead answers a read request, or parks it (see parkedRead) when one of its keys is
// write-locked by a commit in flight and the read has waited less than LockTimeout since since.
func (m *Machine) answerRead(now Time, msg Message, since Time) {
	g := int(msg.Group)
	code, gs := m.status(g, msg.Epoch)
	rep := Message{Type: MsgReadReply, To: msg.From, Seq: msg.Seq, Group: msg.Group, Code: code}
	if gs != nil {
		rep.Epoch = gs.view.Epoch
	}
	if code != CodeOK {
		rep.View = m.newest(g)
		m.send(rep)
		return
	}
	for _, want := range msg.Items {
		if m.pl.GroupOf(want.Key) != g {
			continue // a forged or confused request: answer only for our group
		}
		out := Item{Key: want.Key}
		if it := gs.items[string(want.Key)]; it != nil {
			out.Value, out.Version, out.Deleted = it.Value, it.Version, it.Deleted
			if hidesValue(it) {
				if now.Sub(since) < m.cfg.LockTimeout && len(m.parked) < maxParkedReads {
					m.parked = append(m.parked, parkedRead{msg: msg, since: since})
					return
				}
				out.Target = it.Lock.Target
			}
		}
		rep.Items = append(rep.Items, out)
	}
	m.send(rep)
}

// newest is the newest view of g we know, installed or heard of.
func (m *Machine) newest(g int) View {
	v := m.known[g]
	if gs := m.groups[g]; gs.view.Epoch > v.Epoch {
		v = gs.view
	}
	return v.Clone()
}

// newestEpoch is newest(g).Epoch without the copy.
func (m *Machine) newestEpoch(g int) uint64 { return max(m.known[g].Epoch, m.groups[g].view.Epoch) }

func (m *Machine) onPrepare(now Time, msg Message) {
	g := int(msg.Group)
	code, gs := m.status(g, msg.Epoch)
	if len(msg.Acceptors) == 0 || len(msg.Acceptors) > 9 {
		return
	}
	ref := encodeLockRef(msg.From, msg.Acceptors, msg.Parts)
	votes := make([]Vote, 0, len(msg.Items))
	changed := false
	for _, op := range msg.Items {
		if m.pl.GroupOf(op.Key) != g {
			continue
		}
		v := Vote{Key: op.Key, Replica: m.self.Addr}
		switch {
		case code == CodeOK:
			v.Prepared, changed = m.lockFor(now, gs, msg.Tx, op, ref), true
		case gs != nil && m.gaveLockTo(gs, op.Key, msg.Tx):
			// A resent prepare after this member was fenced (or its view moved on): the vote it
			// gave is the lock it holds, and saying it again to more acceptors decides nothing
			// new. Without it, the vote already sent to a majority that lost one acceptor
			// could not be chosen any more, and the transaction would wait for a recovery that
			// cannot tell "prepared" from the "abort" a refusal would propose. A lock it only
			// adopted in a state transfer is no vote it gave: "repeating" one let an old epoch
			// commit with a vote given after the fencing, beside a new view that committed
			// the same version (storetest seed 2289).
			v.Prepared = true
		}
		votes = append(votes, v)
	}
	if code != CodeOK && !m.newest(g).IsZero() {
		// Tell the TM its view is not ours, so its retry uses the right one.
		m.send(Message{Type: MsgViews, To: msg.From, Views: []View{m.newest(g)}})
	}
	if changed {
		m.persistGroupItems(gs, msg.Items)
	}
	if len(votes) == 0 {
		return
	}
	targets := voteTargets(msg.Acceptors, m.self.Addr, msg.From.Addr, msg.Seq > 0)
	vote := Message{Type: MsgVote, Tx: msg.Tx, Votes: votes, Acceptors: msg.Acceptors, Parts: msg.Parts, TM: msg.From}
	if msg.Seq > 0 {
		vote.Seq = voteResent
	}
	carried := false // our own acceptance rides on the votes we send
	if isTarget(targets, m.self.Addr) {
		// Our own acceptor accepts here, in the batch that holds the lock, so one fsync covers
		// both. The votes tell their acceptors of that acceptance (voteAccepted) instead of a
		// message of its own to the TM: a TM we vote to counts it at once; any other acceptor
		// passes it on with its own acceptance (acceptedByReplicaToo), which is how a TM outside
		// the group hears of it.
		own := vote
		own.From, own.To = m.self, m.self
		rec, acc := m.acceptVote(now, own)
		switch {
		case len(acc) == 0 || rec.tm.IsZero():
		case msg.From.Addr != m.self.Addr && len(targets) > 1 && rec.tm.Addr == msg.From.Addr && sameVotes(acc, votes):
			carried = true
		default:
			m.send(Message{Type: MsgAccepted, To: rec.tm, Tx: msg.Tx, Votes: acc})
		}
	}
	for _, a := range targets {
		if a.Addr == m.self.Addr {
			continue
		}
		v := vote
		v.To = a
		if carried {
			v.Seq |= voteAccepted
		}
		m.send(v)
	}
}

func isTarget(targets []ring.NodeRef, addr string) bool {
	return slices.ContainsFunc(targets, func(r ring.NodeRef) bool { return r.Addr == addr })
}

// sameVotes reports whether an acceptor holds exactly the values a replica votes.
func sameVotes(held, voted []Vote) bool {
	return slices.EqualFunc(held, voted, func(a, b Vote) bool {
		return bytes.Equal(a.Key, b.Key) && a.Replica == b.Replica && a.Prepared == b.Prepared
	})
}

// voteTargets picks the acceptors a replica sends its vote to. A first prepare's vote goes to
// a majority only: this node's own acceptor (no message, and its record rides on the lock's
// fsync), the TM's (its acceptance needs no message back), then the next acceptors after this
// node in the list. A vote is chosen once a majority accepted it, so the others would only cost
// messages and fsyncs; if one of the majority is slow or gone, the TM's retry (a prepare with
// Seq > 0, all is set) sends the vote to every acceptor.
func voteTargets(accs []ring.NodeRef, self, tm string, all bool) []ring.NodeRef {
	if all {
		return accs
	}
	q := len(accs)/2 + 1
	out := make([]ring.NodeRef, 0, q)
	pick := func(addr string) {
		if len(out) == q || isTarget(out, addr) {
			return
		}
		if i := slices.IndexFunc(accs, func(r ring.NodeRef) bool { return r.Addr == addr }); i >= 0 {
			out = append(out, accs[i])
		}
	}
	pick(self)
	pick(tm)
	start := max(0, slices.IndexFunc(accs, func(r ring.NodeRef) bool { return r.Addr == self }))
	for i := range accs {
		pick(accs[(start+i)%len(accs)].Addr)
	}
	return out
}

// gaveLockTo reports whether this member holds a valid lock of tx on key that it granted itself
// (on a prepare), not one it adopted from another replica.
func (m *Machine) gaveLockTo(gs *group, key []byte, tx TxID) bool {
	it := gs.items[string(key)]
	return it != nil && it.Lock.Held() && !it.Lock.Adopted && it.Lock.Tx == store.TxID(tx) && it.Lock.Target > it.Version
}

// lockFor applies the no-wait rule for one key and reports whether the replica votes prepared.
func (m *Machine) lockFor(now Time, gs *group, tx TxID, op Item, ref []byte) bool {
	k := string(op.Key)
	it := gs.items[k]
	if it == nil {
		it = &item{}
		gs.items[k] = it
	}
	if it.Lock.Held() {
		if store.TxID(tx) == it.Lock.Tx {
			// A retried prepare: same answer. For an adopted lock this is the vote's first
			// giving, in the current view: from now on it is a vote this member gave.
			it.Lock.Adopted = false
			return true
		}
		if it.Lock.Target != 0 && it.Lock.Target <= it.Version {
			m.unlock(gs, k, it) // stale: a later version was installed, that tx cannot commit
		} else {
			return false
		}
	}
	if it.Version != op.Version {
		return false
	}
	it.Lock = store.Lock{
		Tx: store.TxID(tx), Write: op.Write, NewValue: op.Value, NewDeleted: op.Deleted,
		Target: op.Version + 1, Meta: ref,
	}
	it.lockedAt = now
	gs.locked[k] = true
	if gs.lockCheck == 0 {
		gs.lockCheck = now.Add(m.cfg.LockTimeout)
	}
	return true
}

func (m *Machine) unlock(gs *group, k string, it *item) {
	it.Lock = store.Lock{}
	delete(gs.locked, k)
	m.parkCheck = m.parkCheck || len(m.parked) > 0
}

// hidesValue reports a write lock that may stand for a commit already acknowledged: a reader
// must not return the value under it.
func hidesValue(it *item) bool {
	return it.Lock.Held() && it.Lock.Write && it.Lock.Target > it.Version
}

// maxParkedReads bounds the reads a replica keeps waiting for locks; past it, a read gets the
// lock in its answer and its TM re-reads, as it does after LockTimeout.
const maxParkedReads = 4096

// parkedRead is a read request that found a key write-locked by a commit in flight. The replica
// answers it when that lock goes (the decision applied, the lock found void), when the group's
// view moves, or after LockTimeout, whichever is first. Answered with the lock at once instead,
// the reader would re-read a RetryInterval later, and a driver that ticks the machine on a
// period stretches that to its tick: under contention that wait was most of the tail of a
// read-modify-write. A parked read costs no message; answering late is still within the read.
type parkedRead struct {
	msg   Message
	since Time // when the read first arrived
}

// releaseParked asks every parked read again: answerRead answers the ones whose lock went, whose
// view moved or that waited LockTimeout, and parks the others again, in arrival order.
func (m *Machine) releaseParked(now Time) {
	if len(m.parked) == 0 {
		return
	}
	waiting := m.parked
	m.parked = m.parkSpare[:0]
	for i := range waiting {
		m.answerRead(now, waiting[i].msg, waiting[i].since)
	}
	clear(waiting)
	m.parkSpare = waiting[:0]
}

// onDecide applies a decision to the replicas this node holds, and records it if we are one of
// the transaction's acceptors.
func (m *Machine) onDecide(now Time, msg Message) {
	commit := msg.Code == CodeCommit
	if !commit && msg.Code != CodeAbort {
		return
	}
	m.decideAcceptor(now, msg)
	m.finishCommit(now, msg.Tx, commit)
	touched := map[int][]Item{}
	for _, d := range msg.Items {
		g := m.pl.GroupOf(d.Key)
		gs := m.groups[g]
		it := gs.items[string(d.Key)]
		if it == nil {
			if !commit || !d.Write || !m.holds(gs) {
				continue
			}
			it = &item{}
			gs.items[string(d.Key)] = it
		}
		changed := false
		if it.Lock.Held() && it.Lock.Tx == store.TxID(msg.Tx) {
			if commit && it.Lock.Write && it.Lock.Target > it.Version {
				// A recovered decision carries no values: the lock has them.
				it.Value, it.Version, it.Deleted = it.Lock.NewValue, it.Lock.Target, it.Lock.NewDeleted
				m.changed(now, gs, string(d.Key), it)
			}
			m.unlock(gs, string(d.Key), it)
			changed = true
		}
		if commit && d.Write && d.Version > it.Version {
			it.Value, it.Version, it.Deleted = d.Value, d.Version, d.Deleted
			m.changed(now, gs, string(d.Key), it)
			if it.Lock.Held() && it.Lock.Target <= it.Version {
				m.unlock(gs, string(d.Key), it) // another tx's lock on an older version is void
			}
			changed = true
		}
		if changed {
			touched[g] = append(touched[g], d)
		}
	}
	for g, items := range touched {
		m.persistGroupItems(m.groups[g], items)
	}
}

// holds reports whether this node keeps data for the group (member, pulling or retired).
func (m *Machine) holds(gs *group) bool {
	return gs.view.Has(m.self.Addr) || gs.retiredAt != 0 || m.pulls[gs.idx] != nil
}

// tickLocks asks the acceptors about locks held longer than LockTimeout.
func (m *Machine) tickLocks(now Time) {
	for _, gs := range m.groups {
		if gs.lockCheck == 0 || now < gs.lockCheck {
			continue
		}
		gs.lockCheck = 0
		keys := make([]string, 0, len(gs.locked))
		for k := range gs.locked {
			keys = append(keys, k)
		}
		slices.Sort(keys) // map order must not leak into the output
		asked := map[store.TxID]bool{}
		for _, k := range keys {
			it := gs.items[k]
			if it == nil || !it.Lock.Held() {
				delete(gs.locked, k)
				continue
			}
			if now.Sub(it.lockedAt) < m.cfg.LockTimeout {
				if gs.lockCheck == 0 || it.lockedAt.Add(m.cfg.LockTimeout) < gs.lockCheck {
					gs.lockCheck = it.lockedAt.Add(m.cfg.LockTimeout)
				}
				continue
			}
			it.lockedAt = now
			if !asked[it.Lock.Tx] {
				asked[it.Lock.Tx] = true
				m.askOutcome(now, TxID(it.Lock.Tx), it.Lock.Meta)
			}
			if gs.lockCheck == 0 || now.Add(m.cfg.LockTimeout) < gs.lockCheck {
				gs.lockCheck = now.Add(m.cfg.LockTimeout)
			}
		}
	}
}

// askOutcome sends an outcome query for tx to its acceptors (from a lock's Meta).
func (m *Machine) askOutcome(now Time, tx TxID, ref []byte) {
	tm, accs, parts, err := decodeLockRef(ref)
	if err != nil || len(accs) == 0 {
		return
	}
	for _, a := range accs {
		m.send(Message{Type: MsgOutcome, To: a, Tx: tx, Acceptors: accs, Parts: parts, TM: tm})
	}
}

func (m *Machine) persistGroupItems(gs *group, items []Item) {
	b := m.batch()
	seen := map[string]bool{}
	for _, op := range items {
		k := string(op.Key)
		if seen[k] {
			continue
		}
		seen[k] = true
		if it := gs.items[k]; it != nil {
			b.Put(KeyPos(op.Key), op.Key, it.Item)
		}
	}
}

// keysOf lists a group's keys in order (deterministic iteration).
func keysOf(items map[string]*item) []string {
	keys := make([]string, 0, len(items))
	for k := range items {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func sameKey(a, b []byte) bool { return bytes.Equal(a, b) }
