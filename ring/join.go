package ring

import (
	"slices"
	"time"
)

// Joining (relaxed ring, Beernet): the joiner's Join is routed to the owner of its id, which
// takes it as predecessor and answers with its old predecessor and its successor list; the joiner
// then tells that old predecessor about its new successor. A predecessor pointer only ever moves
// to a node between the old predecessor and self, so no key has two owners through joins.
//
// Stabilisation (every StabilizePeriod) repairs what joins, leaves and failures leave behind:
// n tells its successor "I may be your predecessor" (with n's predecessor list) and learns the
// successor's predecessor and successor list; a node that sits between n and its successor
// becomes n's successor.

func (n *Node) sendJoin(now Time) {
	if len(n.contacts) == 0 {
		return
	}
	c := n.contacts[n.joinAttempt%len(n.contacts)]
	n.joinAttempt++
	// Back off on repeated failures, up to 3 join timeouts between attempts.
	backoff := n.cfg.JoinTimeout * time.Duration(min(n.joinAttempt, 3))
	n.joinDeadline = now.Add(n.jitter(backoff) + backoff/2)
	n.send(Message{Type: MsgJoin, To: c, Key: n.self.ID, Origin: n.self, Seq: uint64(n.joinAttempt)})
}

// accept is run by the owner of the joiner's id.
func (n *Node) accept(now Time, m Message) {
	j := m.Origin
	oldPred := n.pred
	if oldPred.Addr == n.self.Addr || oldPred.IsZero() {
		oldPred = n.self
	}
	if oldPred.Addr != j.Addr {
		n.setPred(now, j, n.preds)
	} else {
		oldPred = n.predBefore(j)
	}
	if len(n.succs) == 0 {
		// A ring of one: the joiner is also our successor.
		n.setSuccs(now, []NodeRef{j})
	}
	list := append([]NodeRef{n.self}, n.succs...)
	n.send(Message{Type: MsgJoinAck, To: j, Node: oldPred, Nodes: list, Seq: m.Seq})
}

// predBefore is the predecessor we had before j (for a repeated join of our current pred j).
func (n *Node) predBefore(j NodeRef) NodeRef {
	if len(n.preds) > 1 && n.preds[0].Addr == j.Addr {
		return n.preds[1]
	}
	return n.self
}

func (n *Node) onJoinAck(now Time, m Message) {
	if m.Node.IsZero() || len(m.Nodes) == 0 {
		return
	}
	n.setSuccs(now, m.Nodes)
	if len(n.succs) == 0 {
		return // the ack named only ourselves: stale, wait for the retry
	}
	pred := m.Node
	if pred.Addr == n.self.Addr {
		pred = n.succs[0]
	}
	n.setPred(now, pred, nil)
	n.becomeJoined(now)
	n.send(Message{Type: MsgNewSucc, To: pred})
}

// onNewSucc: a joiner that our successor accepted says it is our successor now.
func (n *Node) onNewSucc(now Time, m Message) {
	j := m.From
	s := n.succ()
	if s.Addr == n.self.Addr || BetweenOpen(n.self.ID, j.ID, s.ID) {
		n.setSuccs(now, append([]NodeRef{j}, n.succs...))
		if n.pred.Addr == n.self.Addr {
			n.setPred(now, j, nil) // we were alone
		}
	}
}

// stabilize runs every StabilizePeriod on a joined node.
func (n *Node) stabilize(now Time) {
	s := n.succ()
	if s.Addr == n.self.Addr {
		// Every successor gone: the nodes we know are the way back into the ring (the nearest
		// first, the others as its backups); stabilisation walks from there to the true
		// successor.
		if cands := n.fallbackSuccs(); len(cands) > 0 {
			n.setSuccs(now, cands)
		}
		return // setSuccs sent the stabilisation if it found one
	}
	n.send(Message{Type: MsgStabilize, To: s, Nodes: n.predList(), Sent: now})
}

func (n *Node) predList() []NodeRef {
	if n.pred.IsZero() || n.pred.Addr == n.self.Addr {
		return nil
	}
	return slices.Clone(n.preds) // messages must not alias tables that change in place
}

// onStabilize: m.From believes it may be our predecessor.
func (n *Node) onStabilize(now Time, m Message) {
	p := m.From
	switch {
	case n.pred.IsZero() || n.pred.Addr == n.self.Addr:
		n.setPred(now, p, m.Nodes)
		if len(n.succs) == 0 {
			n.setSuccs(now, []NodeRef{p})
		}
	case n.pred.Addr == p.Addr:
		n.setPred(now, p, m.Nodes) // refresh the predecessor list
	case BetweenOpen(n.pred.ID, p.ID, n.self.ID):
		n.setPred(now, p, m.Nodes)
	default:
		// Not nearer than our predecessor, but a live node behind us: keep it in the
		// predecessor list, so that if the predecessor turns out dead we fall back to the
		// nearest node we know rather than to an older, farther entry (which would own the
		// keys between them until the next stabilisation).
		n.notePred(p)
	}
	n.send(Message{Type: MsgStabReply, To: p, Node: n.pred, Nodes: slices.Clone(n.succs), Sent: m.Sent})
}

func (n *Node) onStabReply(now Time, m Message) {
	s := m.From
	if s.Addr != n.succ().Addr {
		return // an answer from a former successor
	}
	n.fd.answered(now, s.Addr, m.Sent)
	list := append([]NodeRef{s}, m.Nodes...)
	p := m.Node
	if !p.IsZero() && p.Addr != n.self.Addr && BetweenOpen(n.self.ID, p.ID, s.ID) && !n.isPassive(p) {
		// Someone joined between us: it is our successor now; tell it at once.
		list = append([]NodeRef{p}, list...)
		n.setSuccs(now, list)
		n.send(Message{Type: MsgStabilize, To: n.succ(), Nodes: n.predList(), Sent: now})
		return
	}
	n.setSuccs(now, list)
}
