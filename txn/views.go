package txn

// View knowledge: every node keeps the newest view of every group it has heard of, gossips the
// table with its ring neighbours (push, and pull when the other side knows more), and learns
// from replies that carry a newer view. Views are small (Groups × Replicas refs), so the whole
// table travels.

// learn records v if it is newer than what we know, and starts a pull if it names us as a
// member of a view we have not installed.
func (m *Machine) learn(v View) {
	if v.Group < 0 || v.Group >= len(m.known) || len(v.Slots) != m.pl.Replicas || v.Epoch <= m.known[v.Group].Epoch {
		return
	}
	m.known[v.Group] = v.Clone()
}

// askViews asks our ring successor for its view table (a node that knows none yet).
func (m *Machine) askViews(g int) {
	to := m.ring.succ
	if to.IsZero() || to.Addr == m.self.Addr {
		to = m.ring.pred
	}
	if to.IsZero() || to.Addr == m.self.Addr {
		return
	}
	m.send(Message{Type: MsgViews, To: to, Seq: 1})
}

func (m *Machine) gossip(now Time) {
	table := m.viewTable()
	sent := map[string]bool{m.self.Addr: true}
	for _, to := range []string{m.ring.succ.Addr, m.ring.pred.Addr} {
		if to == "" || sent[to] {
			continue
		}
		sent[to] = true
		m.send(Message{Type: MsgViews, To: refOf(to), Seq: 1, Views: table})
	}
}

func (m *Machine) viewTable() []View {
	var out []View
	for g := range m.known {
		if v := m.newest(g); !v.IsZero() {
			out = append(out, v)
		}
	}
	return out
}

func (m *Machine) onViews(now Time, msg Message) {
	theirs := make(map[int]uint64, len(msg.Views))
	for _, v := range msg.Views {
		m.learn(v)
		theirs[v.Group] = v.Epoch
	}
	m.catchUp(now)
	if msg.Seq != 1 {
		return
	}
	// They asked: answer with what we know better.
	var newer []View
	for g := range m.known {
		if v := m.newest(g); !v.IsZero() && v.Epoch > theirs[g] {
			newer = append(newer, v)
		}
	}
	if len(newer) > 0 {
		m.send(Message{Type: MsgViews, To: msg.From, Views: newer})
	}
}

// catchUp starts a pull for every group whose newest known view names us but that we have not
// installed (we missed the view change, e.g. while down or partitioned).
func (m *Machine) catchUp(now Time) {
	for g, v := range m.known {
		gs := m.groups[g]
		if v.Epoch <= gs.view.Epoch || m.pulls[g] != nil {
			continue
		}
		if v.Has(m.self.Addr) {
			// The view before v, when we hold it, is the source a VChosen would have named: a
			// majority of it has every write committed before v. Pulling from v itself works
			// only once some member of v is ready in it, which never happens when all of them
			// learnt v this way.
			source := v
			if gs.view.Epoch+1 == v.Epoch {
				source = gs.view
			}
			m.startPull(now, v, source)
		} else {
			m.installNonMember(now, v)
		}
	}
}
