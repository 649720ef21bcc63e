package ring

// Graceful leave: the leaver hands its predecessor its successor list and its successor its
// predecessor, so both close the gap at once instead of waiting for failure detection. A node
// that left is not put on anyone's passive list: it is gone, not cut off.

// Leave starts a graceful leave; EvLeft tells the driver when it may stop the node.
func (n *Node) Leave(now Time) {
	if n.left || n.leaving {
		return
	}
	if !n.joined || (n.succ().Addr == n.self.Addr && (n.pred.IsZero() || n.pred.Addr == n.self.Addr)) {
		n.finishLeave()
		return
	}
	n.leaving = true
	n.leaveAcks = map[string]bool{}
	n.leaveDeadline = now.Add(n.cfg.LeaveTimeout)
	msg := Message{Type: MsgLeave, Node: n.pred, Nodes: append([]NodeRef{}, n.succs...)}
	if s := n.succ(); s.Addr != n.self.Addr {
		msg.To = s
		n.leaveAcks[s.Addr] = false
		n.send(msg)
	}
	if p := n.pred; !p.IsZero() && p.Addr != n.self.Addr && p.Addr != n.succ().Addr {
		msg.To = p
		n.leaveAcks[p.Addr] = false
		n.send(msg)
	}
	// Everyone else in our lists has us in theirs: tell them too (no ack needed), so the
	// successor and predecessor lists around us do not keep a node that is gone.
	for _, l := range [][]NodeRef{n.succs, n.preds} {
		for _, r := range l {
			if _, told := n.leaveAcks[r.Addr]; !told && r.Addr != n.self.Addr {
				msg.To = r
				n.leaveAcks[r.Addr] = true
				n.send(msg)
			}
		}
	}
	// Fail every lookup in flight: nobody will answer a node that is leaving.
	n.expireLookups(Time(1<<62 - 1))
}

func (n *Node) onLeaveAck(now Time, m Message) {
	if !n.leaving {
		return
	}
	if _, ok := n.leaveAcks[m.From.Addr]; !ok {
		return
	}
	n.leaveAcks[m.From.Addr] = true
	for _, ok := range n.leaveAcks {
		if !ok {
			return
		}
	}
	n.finishLeave()
}

func (n *Node) finishLeave() {
	if n.left {
		return
	}
	n.left = true
	n.leaving = false
	n.emit(Event{Kind: EvLeft, Node: n.self})
}

// onLeave: a neighbour is leaving; m.Node is its predecessor, m.Nodes its successors.
func (n *Node) onLeave(now Time, m Message) {
	l := m.From
	if n.succ().Addr == l.Addr {
		rest := make([]NodeRef, 0, len(m.Nodes)+len(n.succs))
		rest = append(rest, m.Nodes...)
		rest = append(rest, n.succs...)
		n.drop(now, l, false)
		n.setSuccs(now, rest)
	}
	if n.pred.Addr == l.Addr {
		p := m.Node
		n.drop(now, l, false)
		if !p.IsZero() && p.Addr != l.Addr {
			if p.Addr == n.self.Addr {
				n.setPred(now, n.self, nil)
			} else {
				n.setPred(now, p, n.preds)
			}
		}
	}
	n.drop(now, l, false)
	n.send(Message{Type: MsgLeaveAck, To: l})
}
