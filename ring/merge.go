package ring

// What the partition layer (partition/) needs to zip two rings together: routing towards an id
// in this ring, the neighbours, and adopting a node of the other ring as successor or
// predecessor when it fits between (Ring-Unification's trymerge, local part).

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
