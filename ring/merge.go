package ring

import "slices"

// What the partition layer (partition/) needs to zip two rings together: routing towards an id
// in this ring, the neighbours, and adopting a node of the other ring as successor or
// predecessor when it fits between (Ring-Unification's trymerge, local part). Also what a node
// falls back to when a partition takes all its neighbours: every other node it knows of.

// Pred is the current predecessor (zero if unknown, self when alone).
func (n *Node) Pred() NodeRef { return n.pred }

// Succ is the first successor (self when alone).
func (n *Node) Succ() NodeRef { return n.succ() }

// NextHop is where a message routed towards id goes next from here: the closest preceding
// known node, or the successor. Zero when we are alone.
func (n *Node) NextHop(id ID) NodeRef { return n.nextHop(id) }

// InView reports whether addr is self, a neighbour, or in the successor, predecessor or finger
// tables: a node of our own ring.
func (n *Node) InView(addr string) bool {
	if addr == n.self.Addr || n.pred.Addr == addr {
		return true
	}
	return containsAddr(n.succs, addr) || containsAddr(n.preds, addr) || containsAddr(n.fingerSet, addr)
}

// Adopt takes cpred and csucc, nodes of another ring found next to us, as predecessor and
// successor if they lie between us and the current ones. Pointers only move closer, as with
// joins, so adopting never gives a key two owners; stabilisation then repairs the lists.
func (n *Node) Adopt(now Time, cpred, csucc NodeRef) {
	if !n.joined || n.leaving {
		return
	}
	if !csucc.IsZero() && csucc.Addr != n.self.Addr {
		s := n.succ()
		if s.Addr == n.self.Addr || BetweenOpen(n.self.ID, csucc.ID, s.ID) {
			n.ForgetPassive(csucc.Addr)
			n.setSuccs(now, append([]NodeRef{csucc}, n.succs...))
		}
	}
	if !cpred.IsZero() && cpred.Addr != n.self.Addr {
		p := n.pred
		if p.IsZero() || p.Addr == n.self.Addr || BetweenOpen(p.ID, cpred.ID, n.self.ID) {
			n.ForgetPassive(cpred.Addr)
			n.setPred(now, cpred, n.preds)
		}
	}
}

// maxHeard bounds the list of nodes recently heard from.
const maxHeard = 32

// noteHeard remembers r as a node that was alive recently: it sent us a message, or started a
// request routed through us (Origin). Those are nodes outside our tables too, and when a
// partition takes every node of our tables they may be the only live ones we know of.
func (n *Node) noteHeard(r NodeRef) {
	if r.IsZero() || r.Addr == n.self.Addr {
		return
	}
	if i := indexAddr(n.heard, r.Addr); i >= 0 {
		n.heard[i] = r
		return
	}
	if len(n.heard) < maxHeard {
		n.heard = append(n.heard, r)
		return
	}
	n.heard[n.heardNext] = r // the oldest entry
	n.heardNext = (n.heardNext + 1) % maxHeard
}

// Heard returns the nodes recently heard from (at most 32, any order); the partition layer
// asks them to place us when our ring fell apart around us.
func (n *Node) Heard() []NodeRef { return slices.Clone(n.heard) }

// checkBehind: r, a neighbour, is suspected. Ping the rest of the list it is in at once, so a
// run of neighbours cut off together is removed together (see detector).
func (n *Node) checkBehind(now Time, r NodeRef) {
	for _, l := range [][]NodeRef{n.succs, n.preds} {
		if !containsAddr(l, r.Addr) {
			continue
		}
		for _, b := range l {
			if b.Addr != r.Addr && b.Addr != n.self.Addr {
				n.fd.check(now, b)
			}
		}
	}
}

// fallbackSuccs is every node we know of, other than suspects, in ring order from us: the
// successor candidates of a node whose successors are all gone. Stabilisation walks from the
// nearest live one to the true successor; dead ones are suspected and removed together.
func (n *Node) fallbackSuccs() []NodeRef {
	var cands []NodeRef
	for _, l := range [][]NodeRef{n.fingers, n.preds, {n.pred}, n.heard} {
		for _, r := range l {
			if !r.IsZero() && r.Addr != n.self.Addr && !n.fd.isSuspect(r.Addr) && !n.isPassive(r) && !containsAddr(cands, r.Addr) {
				cands = append(cands, r)
			}
		}
	}
	return sortFrom(n.self.ID, cands)
}
