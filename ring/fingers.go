package ring

import (
	"slices"
	"time"
)

// Fingers: entry i points at the owner of self + offsets[i], where the offsets are the k-ary
// fractions j/k^l of the ring (k = FingerBase; k = 2 gives Chord's 2^127, 2^126, ...). Routing
// through them takes O(log N) hops. A refresh round walks the offsets from the nearest outwards
// and resolves each one from the successor list or the previous answer when it can, so a round
// costs about as many lookups as there are distinct fingers, not one per offset.

type fingerRound struct {
	active  bool
	next    int           // next offset index to resolve
	changed bool          // an entry changed during this round
	period  time.Duration // current refresh period: doubles while rounds change nothing
}

// fingerOffsets returns the k-ary finger offsets, nearest first, while they stay above 2^64
// (finer offsets only matter for rings of more than 2^60 nodes).
func fingerOffsets(k int) []ID {
	var out []ID
	den := uint64(1)
	for {
		if den > (1<<62)/uint64(k) {
			break
		}
		den *= uint64(k)
		for j := uint64(1); j < uint64(k); j++ {
			out = append(out, Frac(j, den))
		}
	}
	slices.SortFunc(out, func(a, b ID) int { return a.Cmp(b) })
	return out
}

func (n *Node) startFingerRound(now Time) {
	if n.finger.active || n.succ().Addr == n.self.Addr {
		return
	}
	n.finger = fingerRound{active: true, period: n.finger.period}
	n.advanceFingers(now)
}

// advanceFingers resolves offsets locally as far as it can, then starts one lookup.
func (n *Node) advanceFingers(now Time) {
	for n.finger.next < len(n.offsets) {
		i := n.finger.next
		target := n.self.ID.Add(n.offsets[i])
		if r, ok := n.resolveLocally(target, i); ok {
			n.setFinger(i, r)
			n.finger.next++
			continue
		}
		n.startLookup(now, target, purposeFinger, i)
		return
	}
	n.endFingerRound()
}

// endFingerRound adapts the refresh period: a stable ring needs fingers refreshed rarely
// (up to 8× FingerPeriod), a changing one at FingerPeriod.
func (n *Node) endFingerRound() {
	n.finger.active = false
	switch {
	case n.finger.changed || n.finger.period == 0:
		n.finger.period = n.cfg.FingerPeriod
	case n.finger.period < 8*n.cfg.FingerPeriod:
		n.finger.period *= 2
	}
}

// resolveLocally answers "owner of target" from the successor list or from a finger just found
// further out (the owner of a farther target that lies before target's owner).
func (n *Node) resolveLocally(target ID, i int) (NodeRef, bool) {
	prev := n.self
	for _, s := range n.succs {
		if Between(prev.ID, target, s.ID) {
			return s, true
		}
		prev = s
	}
	if i > 0 {
		if f := n.fingers[i-1]; !f.IsZero() && Between(n.self.ID, target, f.ID) {
			return f, true
		}
	}
	return NodeRef{}, false
}

func (n *Node) fingerFound(now Time, i int, owner NodeRef) {
	if !n.finger.active || i != n.finger.next || owner.Addr == n.self.Addr && n.succ().Addr != n.self.Addr {
		if owner.Addr == n.self.Addr {
			n.endFingerRound() // wrapped around: no more distinct fingers
		}
		return
	}
	n.setFinger(i, owner)
	n.finger.next++
	n.advanceFingers(now)
}

// setFinger sets entry i and refreshes the distinct set routing scans.
func (n *Node) setFinger(i int, r NodeRef) {
	if n.fingers[i] == r {
		return
	}
	n.finger.changed = true
	if !n.finger.active {
		n.finger.period = n.cfg.FingerPeriod // a finger was removed between rounds
	}
	n.fingers[i] = r
	n.fingerSet = n.fingerNodes()
}

// fingerNodes is the set of distinct finger entries, nearest first.
func (n *Node) fingerNodes() []NodeRef {
	var out []NodeRef
	for _, f := range n.fingers {
		if !f.IsZero() && !containsAddr(out, f.Addr) {
			out = append(out, f)
		}
	}
	return sortFrom(n.self.ID, out)
}
