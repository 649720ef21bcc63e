package ring

// Routing. Lookups and joins are routed recursively towards the owner of Key; only the owner
// answers, after checking key ∈ (pred, self], so an answer never comes from a node that merely
// believes it is responsible. Each hop strictly approaches the key clockwise, except the short
// walk back along the predecessor list when a node learns that the key belongs to a newer
// predecessor; MaxHops bounds what stale tables can still do.

// Lookup starts a lookup of key and returns its request id; the result arrives as an Event.
func (n *Node) Lookup(now Time, key ID) uint64 {
	return n.startLookup(now, key, purposeUser, 0)
}

func (n *Node) startLookup(now Time, key ID, purpose lookupPurpose, index int) uint64 {
	n.nextReq++
	id := n.nextReq
	if !n.joined || n.leaving {
		if purpose == purposeUser {
			n.emit(Event{Kind: EvLookupFailed, ReqID: id, Key: key})
		}
		return id
	}
	n.lookups[id] = &pendingLookup{key: key, purpose: purpose, index: index}
	n.deadline = append(n.deadline, lookupDeadline{id: id, at: now.Add(n.cfg.LookupTimeout)})
	n.route(now, Message{Type: MsgLookup, From: n.self, To: n.self, Key: key, Origin: n.self, Seq: id})
	return id
}

// route handles a routed message at this node: answer it if we own the key, else forward it.
func (n *Node) route(now Time, m Message) {
	if m.Type == MsgJoin && m.Origin.Addr == n.self.Addr {
		return // our own join came back to us (stale tables elsewhere): the retry will fix it
	}
	if m.Type == MsgJoin && n.pred.Addr == m.Origin.Addr {
		n.accept(now, m) // a retry of a join we accepted whose answer was lost
		return
	}
	if n.owns(m) {
		if m.Type == MsgJoin {
			n.accept(now, m)
			return
		}
		n.answer(now, m)
		return
	}
	next := n.nextHop(m.Key)
	if next.IsZero() || int(m.Hops) >= n.cfg.MaxHops {
		return // dropped: the origin times out and retries
	}
	if m.Type == MsgJoin && next.Addr == m.Origin.Addr {
		// The joiner is already in our tables (admit() dropped older incarnations): its
		// successor accepted it but the answer was lost, and routing now leads to the joiner
		// itself. Send the join to the joiner's successor instead, which answers again; if
		// that is us... we are its predecessor: answer in the successor's place.
		if i := indexAddr(n.preds, next.Addr); i > 0 {
			next = n.preds[i-1]
		} else if n.succ().Addr == next.Addr {
			after := append([]NodeRef{}, n.succs[1:]...)
			if len(after) == 0 {
				after = []NodeRef{n.self}
			}
			n.send(Message{Type: MsgJoinAck, To: m.Origin, Node: n.self, Nodes: after, Seq: m.Seq})
			return
		} else {
			return // a stale finger: the joiner's retry will take another path
		}
	}
	m.Hops++
	m.To = next
	m.Final = Between(n.self.ID, m.Key, next.ID) && next.Addr == n.succ().Addr
	n.send(m)
}

// owns decides whether this node answers m. With a known predecessor that is the range check;
// without one, the node trusts a sender that saw the key between itself and us (Final).
func (n *Node) owns(m Message) bool {
	if n.pred.IsZero() {
		return m.Final || len(n.succs) == 0
	}
	return n.Owns(m.Key)
}

func (n *Node) answer(now Time, m Message) {
	rep := Message{Type: MsgLookupReply, To: m.Origin, Key: m.Key, Seq: m.Seq, Node: n.self, Hops: m.Hops}
	if m.Origin.Addr == n.self.Addr {
		rep.From = n.self
		n.onLookupReply(now, rep)
		return
	}
	n.send(rep)
}

// nextHop picks where to forward a message for key that we do not own.
func (n *Node) nextHop(key ID) NodeRef {
	// The key is just behind us, in a newer predecessor's range: walk back the predecessor list.
	if !n.pred.IsZero() && n.pred.Addr != n.self.Addr && !Between(n.pred.ID, key, n.self.ID) {
		for i, p := range n.preds {
			lo := ID{}
			if i+1 < len(n.preds) {
				lo = n.preds[i+1].ID
			} else {
				break
			}
			if Between(lo, key, p.ID) {
				return p
			}
		}
	}
	s := n.succ()
	if s.Addr == n.self.Addr {
		return NodeRef{}
	}
	if Between(n.self.ID, key, s.ID) {
		return s
	}
	// Closest preceding node: the known node in (self, key) farthest from self.
	best := NodeRef{}
	var bestDist ID
	consider := func(r NodeRef) {
		if r.IsZero() || r.Addr == n.self.Addr || !BetweenOpen(n.self.ID, r.ID, key) || n.fd.isSuspect(r.Addr) {
			return
		}
		if d := n.self.ID.Dist(r.ID); best.IsZero() || bestDist.Less(d) {
			best, bestDist = r, d
		}
	}
	for _, r := range n.fingerSet {
		consider(r)
	}
	for _, r := range n.succs {
		consider(r)
	}
	for _, r := range n.preds {
		consider(r)
	}
	if best.IsZero() {
		return s
	}
	return best
}

func (n *Node) onLookupReply(now Time, m Message) {
	p, ok := n.lookups[m.Seq]
	if !ok || p.key != m.Key {
		return // late, duplicate or forged
	}
	delete(n.lookups, m.Seq)
	switch p.purpose {
	case purposeUser:
		n.emit(Event{Kind: EvLookupDone, ReqID: m.Seq, Key: m.Key, Node: m.Node, Hops: int(m.Hops)})
	case purposeFinger:
		n.fingerFound(now, p.index, m.Node)
	}
}

func (n *Node) expireLookups(now Time) {
	for len(n.deadline) > 0 && n.deadline[0].at <= now {
		d := n.deadline[0]
		n.deadline = n.deadline[1:]
		p, ok := n.lookups[d.id]
		if !ok {
			continue
		}
		delete(n.lookups, d.id)
		switch p.purpose {
		case purposeUser:
			n.emit(Event{Kind: EvLookupFailed, ReqID: d.id, Key: p.key})
			// A lookup that got lost most likely went through a finger to a node that is gone:
			// refresh the fingers now rather than at the (possibly long) adaptive period.
			n.finger.period = n.cfg.FingerPeriod
			if !n.finger.active && n.joined && n.nextFinger > now {
				n.nextFinger = now
			}
		case purposeFinger:
			n.finger.active = false // the next round starts over, soon
			n.finger.period = n.cfg.FingerPeriod
		}
	}
}
