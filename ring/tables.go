package ring

import "slices"

// Successor and predecessor lists, and removal of nodes from every table.

// setSuccs replaces the successor list with list (nearest first), dropping self, duplicates,
// nodes we know to be suspected or passive, and everything beyond SuccListLen.
func (n *Node) setSuccs(now Time, list []NodeRef) {
	old := n.succ()
	out := n.succs[:0:0]
	for _, r := range list {
		if r.IsZero() || r.Addr == n.self.Addr || n.fd.isSuspect(r.Addr) || n.isPassive(r) || containsAddr(out, r.Addr) {
			continue
		}
		out = append(out, r)
		if len(out) == n.cfg.SuccListLen {
			break
		}
	}
	// The list must be in ring order from self: a stale entry behind a nearer one is dropped.
	out = sortFrom(n.self.ID, out)
	n.succs = out
	if s := n.succ(); s.Addr != n.self.Addr {
		n.fd.monitor(now, s)
	}
	if s := n.succ(); s.Addr != old.Addr {
		n.fd.unmonitor(old.Addr, n.isNeighbour(old.Addr))
		n.emit(Event{Kind: EvSuccessorChanged, Node: s})
		if n.joined && !n.leaving && s.Addr != n.self.Addr {
			// Correction on change: learn the new successor's view now, not at the next period.
			n.send(Message{Type: MsgStabilize, To: s, Nodes: n.predList(), Sent: now})
		}
	}
}

// setPred makes p the predecessor and the head of the predecessor list.
func (n *Node) setPred(now Time, p NodeRef, rest []NodeRef) {
	old := n.pred
	n.pred = p
	list := append([]NodeRef{p}, rest...)
	out := n.preds[:0:0]
	for _, r := range list {
		if r.IsZero() || r.Addr == n.self.Addr || n.fd.isSuspect(r.Addr) || n.isPassive(r) || containsAddr(out, r.Addr) {
			continue
		}
		out = append(out, r)
		if len(out) == n.cfg.PredListLen {
			break
		}
	}
	n.preds = out
	if p.Addr == n.self.Addr || p.IsZero() {
		n.preds = n.preds[:0]
	}
	if old.Addr != p.Addr {
		if old.Addr != n.self.Addr {
			n.fd.unmonitor(old.Addr, n.isNeighbour(old.Addr))
		}
		if !p.IsZero() && p.Addr != n.self.Addr {
			n.fd.monitor(now, p)
		}
		n.emit(Event{Kind: EvPredecessorChanged, Node: p})
	}
}

// notePred adds r to the predecessor list behind the predecessor, keeping the list in
// counter-clockwise order from self (nearest first) and within PredListLen.
func (n *Node) notePred(r NodeRef) {
	if n.pred.IsZero() || n.pred.Addr == n.self.Addr || len(n.preds) == 0 || n.preds[0].Addr != n.pred.Addr {
		return
	}
	if r.IsZero() || r.Addr == n.self.Addr || n.fd.isSuspect(r.Addr) || n.isPassive(r) || containsAddr(n.preds, r.Addr) {
		return
	}
	rest := append(slices.Clone(n.preds[1:]), r)
	rest = sortFrom(n.self.ID, rest)
	slices.Reverse(rest) // clockwise from self, reversed: the nearest predecessor first
	out := append([]NodeRef{n.pred}, rest...)
	if len(out) > n.cfg.PredListLen {
		out = out[:n.cfg.PredListLen]
	}
	n.preds = out
}

func (n *Node) isNeighbour(addr string) bool {
	return n.succ().Addr == addr || n.pred.Addr == addr
}

// drop removes r from every table. toPassive records it as removed (suspected failed or cut off
// by a partition) so the partition layer can probe it; a node that left gracefully or restarted
// under a new incarnation is not passive.
func (n *Node) drop(now Time, r NodeRef, toPassive bool) {
	inTables := false
	if i := indexAddr(n.succs, r.Addr); i >= 0 {
		inTables = true
		n.setSuccs(now, slices.Delete(slices.Clone(n.succs), i, i+1))
	}
	for i := range n.fingers {
		if n.fingers[i].Addr == r.Addr {
			n.setFinger(i, NodeRef{})
			inTables = true
		}
	}
	if i := indexAddr(n.preds, r.Addr); i >= 0 {
		inTables = true
		n.preds = slices.Delete(n.preds, i, i+1)
	}
	if n.pred.Addr == r.Addr {
		inTables = true
		// The next known predecessor takes over tentatively; failure detection and
		// notifications correct it. With none known, the node is alone (succ == self) or waits.
		next := NodeRef{}
		if len(n.preds) > 0 {
			next = n.preds[0]
		} else if len(n.succs) == 0 {
			next = n.self
		}
		rest := []NodeRef{}
		if len(n.preds) > 1 {
			rest = n.preds[1:]
		}
		n.setPred(now, next, rest)
	}
	if len(n.succs) == 0 && n.joined && n.pred.IsZero() {
		n.setPred(now, n.self, nil) // nobody left: a ring of one
	}
	// A node the detector watched counts as ours even if a list already let it go as a
	// suspect (setSuccs drops suspects): a run of neighbours cut off together must all go to
	// the passive list, or nobody probes them when the partition heals.
	if n.fd.find(r.Addr) != nil {
		inTables = true
	}
	n.fd.forget(r.Addr)
	if toPassive && inTables {
		n.addPassive(now, r)
	}
	if inTables {
		n.emit(Event{Kind: EvRemoved, Node: r})
	}
}

func (n *Node) addPassive(now Time, r NodeRef) {
	if i := slices.IndexFunc(n.passive, func(e PassiveEntry) bool { return e.Node.Addr == r.Addr }); i >= 0 {
		n.passive = slices.Delete(n.passive, i, i+1)
	}
	n.passive = append(n.passive, PassiveEntry{Node: r, RemovedAt: now})
	if len(n.passive) > n.cfg.PassiveLen {
		n.passive = slices.Delete(n.passive, 0, len(n.passive)-n.cfg.PassiveLen)
	}
}

// isPassive reports whether r (this incarnation) was removed from our view.
func (n *Node) isPassive(r NodeRef) bool {
	for _, e := range n.passive {
		if e.Node.Addr == r.Addr && e.Node.Inc == r.Inc {
			return true
		}
	}
	return false
}

// ForgetPassive removes r from the passive list: the partition layer calls it once r is back in
// our ring or known to be gone for good.
func (n *Node) ForgetPassive(addr string) {
	n.passive = slices.DeleteFunc(n.passive, func(e PassiveEntry) bool { return e.Node.Addr == addr })
}

func containsAddr(l []NodeRef, addr string) bool { return indexAddr(l, addr) >= 0 }

func indexAddr(l []NodeRef, addr string) int {
	for i, r := range l {
		if r.Addr == addr {
			return i
		}
	}
	return -1
}

// sortFrom orders refs by clockwise distance from origin (stable for equal ids).
func sortFrom(origin ID, refs []NodeRef) []NodeRef {
	slices.SortStableFunc(refs, func(a, b NodeRef) int {
		return origin.Dist(a.ID).Cmp(origin.Dist(b.ID))
	})
	return refs
}
