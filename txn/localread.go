package txn

import (
	"bytes"
	"time"
)

// ReadLocal answers a read inside a transaction from this node's own replica of key, with no
// message: ok is false unless this node is a ready, unfenced member of the newest view of
// key's group it knows, has heard from enough of the view's other members within
// localReadFresh to make a majority with them, and no pending write hides the key's value
// there. The answer is the replica's committed state, which may lag a commit this replica has
// not heard of yet.
//
// It is not a linearizable read, and must not stand in for Read outside a transaction: it is
// safe in one because a commit checks every version it read at a majority of the key's
// replicas (the prepare), so a lagging version only makes that commit conflict. A caller that
// retries after a conflict should read through Read, or a replica that missed a commit for
// good would fail every attempt.
//
// The majority heard from is not for safety but for a clear answer: on the minority side of a
// partition a quorum read fails with ErrNoQuorum before anything is sent, where a commit built
// on a local read could only end in ErrUnknownOutcome.
func (m *Machine) ReadLocal(now Time, key []byte) (ev Event, ok bool) {
	if len(key) == 0 || len(key) > maxKeySize {
		return Event{}, false
	}
	g := m.pl.GroupOf(key)
	code, gs := m.status(g, m.newestEpoch(g))
	if code != CodeOK || !m.hearsMajority(now, gs.view) {
		return Event{}, false
	}
	ev = Event{Kind: EvReadDone, Key: key}
	if it := gs.items[string(key)]; it != nil {
		if hidesValue(it) {
			return Event{}, false // Read waits for it at the replicas
		}
		ev.Version = it.Version
		if ev.Found = it.Version > 0 && !it.Deleted; ev.Found {
			ev.Value = bytes.Clone(it.Value) // the caller may keep it; the replica's copy moves on
		}
	}
	return ev, true
}

// localReadFresh is how recently a member must have been heard from to count toward the
// majority ReadLocal asks for. A busy group's members talk every few milliseconds; a quiet
// group reads quorums, as it did before there were local reads.
func (m *Machine) localReadFresh() time.Duration { return 10 * m.cfg.RetryInterval }

// hearsMajority reports whether this node and the members of v it heard from lately make a
// majority of v.
func (m *Machine) hearsMajority(now Time, v View) bool {
	need := v.Quorum() - 1 // this node is one
	for _, mem := range v.Members() {
		if at, ok := m.heard[mem.Addr]; ok && mem.Addr != m.self.Addr && now.Sub(at) <= m.localReadFresh() {
			need--
		}
	}
	return need <= 0
}

// noteHeard records that a message from addr arrived now.
func (m *Machine) noteHeard(now Time, addr string) {
	if addr != m.self.Addr && addr != "" {
		m.heard[addr] = now
	}
}

// pruneHeard forgets peers not heard from in a long while (departed ones among them).
func (m *Machine) pruneHeard(now Time) {
	for addr, at := range m.heard {
		if now.Sub(at) > m.cfg.RecordTTL {
			delete(m.heard, addr)
		}
	}
}
