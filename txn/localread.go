package txn

import "bytes"

// ReadLocal answers a read inside a transaction from this node's own replica of key, with no
// message: ok is false unless this node is a ready, unfenced member of the newest view of
// key's group it knows and no pending write hides the key's value there. The answer is the
// replica's committed state, which may lag a commit this replica has not heard of yet.
//
// It is not a linearizable read, and must not stand in for Read outside a transaction: it is
// safe in one because a commit checks every version it read at a majority of the key's
// replicas (the prepare), so a lagging version only makes that commit conflict. A caller that
// retries after a conflict should read through Read, or a replica that missed a commit for
// good would fail every attempt.
func (m *Machine) ReadLocal(key []byte) (ev Event, ok bool) {
	if len(key) == 0 || len(key) > maxKeySize {
		return Event{}, false
	}
	g := m.pl.GroupOf(key)
	code, gs := m.status(g, max(m.known[g].Epoch, m.groups[g].view.Epoch))
	if code != CodeOK {
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
