package txn

import (
	"slices"

	"github.com/detrans/detrans/store"
)

// State transfer. A member of a newly chosen view e pulls the group's items before it serves.
// Only members whose data covers the source epoch (readyEpoch ≥ it) count, and:
//   - from the previous view e-1 (we heard the change chosen): a majority of e-1 must answer;
//     our own data counts when it qualifies. Every write committed before e is on a majority
//     of e-1, so it reaches us.
//   - from e itself (we learnt e late, by gossip, and do not hold e-1 to pull from as above):
//     n-q other members of e must answer (at least one). A write committed during e was prepared by a majority of e without us, and any n-q
//     others intersect every such majority; writes from before e are on every ready member.
// Items merge by highest version; locks travel with the data, and we ask the acceptors about
// every lock we saw, so a transaction that was deciding while the view changed still reaches us.
// An item holds one lock, so when two sources hold locks of different transactions for the same
// new version (both prepared from the same version; at most one can commit) we cannot keep both,
// and the one we dropped may be the one that commits — with a decision that, if recovered, carries
// no values. The pull then does not finish: it asks every source again a little later, by when
// the holders have applied or released their locks (they ask the acceptors themselves).
//
// A member of e-1 that hands its state to e (answers a pull of e-1 naming e, or counts its own
// data in its own pull) stops serving e-1 (group.handedOff, durable before the answer leaves).
// The change to e fenced only the majority that accepted it; a member outside that majority
// could otherwise vote in e-1 after its state was taken, and a transaction that had one vote
// from inside the majority before the change would commit in e-1 with it — while e, whose
// members had not all seen that lock, committed the same version (storetest seed 3067). With
// the pulled majority fenced, every e-1 transaction that can still commit holds a lock the
// pull saw.

const pullPage = 256 << 10 // bytes of values per pull reply

type pull struct {
	target View
	source View
	need   int
	done   map[string]bool   // source members that answered completely
	after  map[string][]byte // next page start per member
	asked  map[store.TxID]bool
	next   Time
	self   bool              // our own data counts as one source
	rivals map[string]uint64 // key → new version two transactions' locks competed for
}

func (m *Machine) startPull(now Time, target, source View) {
	g := target.Group
	gs := m.groups[g]
	p := &pull{target: target.Clone(), source: source.Clone(), done: map[string]bool{}, after: map[string][]byte{}, asked: map[store.TxID]bool{}, rivals: map[string]uint64{}}
	m.pulls[g] = p
	if source.Epoch < target.Epoch {
		p.need = source.Quorum()
		if source.Has(m.self.Addr) && gs.readyEpoch >= source.Epoch {
			p.self = true
			p.done[m.self.Addr] = true
			m.handOff(gs, source.Epoch)
		}
	} else {
		n := len(target.Members())
		p.need = max(1, n-target.Quorum())
	}
	m.askLocks(now, p, gs)
	if m.finishPull(now, p) {
		return
	}
	m.sendPulls(now, p)
}

func (m *Machine) sendPulls(now Time, p *pull) {
	p.next = now.Add(20 * m.cfg.RetryInterval)
	for _, mem := range p.source.Members() {
		if p.done[mem.Addr] || mem.Addr == m.self.Addr {
			continue
		}
		msg := Message{Type: MsgPull, To: mem, Group: uint32(p.target.Group), Epoch: p.source.Epoch, View: p.target}
		if a := p.after[mem.Addr]; a != nil {
			msg.Items = []Item{{Key: a}}
		}
		m.send(msg)
	}
}

func (m *Machine) tickPulls(now Time) {
	for _, g := range sortedGroups(m.pulls) {
		p := m.pulls[g]
		if m.newest(g).Epoch > p.target.Epoch {
			delete(m.pulls, g)
			continue
		}
		if now >= p.next {
			m.sendPulls(now, p)
		}
	}
}

func sortedGroups[V any](mp map[int]V) []int {
	out := make([]int, 0, len(mp))
	for g := range mp {
		out = append(out, g)
	}
	slices.Sort(out)
	return out
}

func (m *Machine) onPull(now Time, msg Message) {
	g := int(msg.Group)
	if g < 0 || g >= len(m.groups) {
		return
	}
	gs := m.groups[g]
	rep := Message{Type: MsgPullReply, To: msg.From, Group: msg.Group, Epoch: msg.Epoch}
	holds := gs.view.Has(m.self.Addr) || gs.retiredAt != 0
	if gs.readyEpoch < msg.Epoch || !holds {
		rep.Code = CodeNotReady
		m.send(rep)
		return
	}
	if msg.View.Epoch > msg.Epoch && msg.View.Group == g {
		m.handOff(gs, msg.Epoch) // the puller serves msg.View from what we answer
		m.learn(msg.View)
	}
	var after string
	if len(msg.Items) == 1 {
		after = string(msg.Items[0].Key)
	}
	size := 0
	keys := keysOf(gs.items)
	i, _ := slices.BinarySearch(keys, after)
	for ; i < len(keys); i++ {
		k := keys[i]
		if k <= after && after != "" {
			continue
		}
		if size > pullPage {
			rep.More = true
			break
		}
		it := gs.items[k]
		w := Item{Key: []byte(k), Value: it.Value, Version: it.Version, Deleted: it.Deleted}
		if it.Lock.Held() {
			w.Lock = TxID(it.Lock.Tx)
			w.LockVal, w.LockDel, w.LockW, w.Target, w.LockRef = it.Lock.NewValue, it.Lock.NewDeleted, it.Lock.Write, it.Lock.Target, it.Lock.Meta
		}
		size += len(k) + len(it.Value) + len(it.Lock.NewValue) + len(it.Lock.Meta)
		rep.Items = append(rep.Items, w)
	}
	m.send(rep)
}

// handOff fences this member's view of epoch: its state of that epoch goes to a newer view.
func (m *Machine) handOff(gs *group, epoch uint64) {
	if gs.view.Epoch != epoch || gs.handedOff >= epoch {
		return
	}
	gs.handedOff = epoch
	m.persistGroupMeta(gs)
}

func (m *Machine) onPullReply(now Time, msg Message) {
	g := int(msg.Group)
	p := m.pulls[g]
	if p == nil || msg.Epoch != p.source.Epoch || !p.source.Has(msg.From.Addr) || msg.From.Addr == m.self.Addr || p.done[msg.From.Addr] || msg.Code != CodeOK {
		return
	}
	gs := m.groups[g]
	var merged []Item
	for _, w := range msg.Items {
		if m.pl.GroupOf(w.Key) != g {
			continue
		}
		k := string(w.Key)
		it := gs.items[k]
		if it == nil {
			it = &item{}
			gs.items[k] = it
		}
		changed := false
		if w.Version > it.Version {
			it.Value, it.Version, it.Deleted = w.Value, w.Version, w.Deleted
			m.changed(now, gs, k, it)
			changed = true
		}
		if w.Lock != (TxID{}) {
			if !p.asked[store.TxID(w.Lock)] {
				p.asked[store.TxID(w.Lock)] = true
				m.askOutcome(now, w.Lock, w.LockRef)
			}
			if w.Target > it.Version && it.Lock.Held() && w.Target == it.Lock.Target && store.TxID(w.Lock) != it.Lock.Tx {
				p.rivals[k] = w.Target
			}
			// Keep the lock that could still matter (installing above what we have).
			if w.Target > it.Version && (!it.Lock.Held() || w.Target > it.Lock.Target) {
				it.Lock = store.Lock{Tx: store.TxID(w.Lock), Write: w.LockW, NewValue: w.LockVal, NewDeleted: w.LockDel, Target: w.Target, Meta: w.LockRef, Adopted: true}
				it.lockedAt = now
				gs.locked[k] = true
				changed = true
			}
		}
		if it.Lock.Held() && it.Lock.Target <= it.Version {
			m.unlock(gs, k, it)
			changed = true
		}
		if changed {
			merged = append(merged, Item{Key: w.Key})
		}
	}
	m.persistGroupItems(gs, merged)
	if len(msg.Items) > 0 {
		p.after[msg.From.Addr] = msg.Items[len(msg.Items)-1].Key
	}
	if msg.More {
		m.send(Message{Type: MsgPull, To: msg.From, Group: msg.Group, Epoch: msg.Epoch, Items: []Item{{Key: p.after[msg.From.Addr]}}})
		return
	}
	p.done[msg.From.Addr] = true
	m.finishPull(now, p)
}

// rivalsLeft reports whether a key still lacks the version two transactions competed for.
func (m *Machine) rivalsLeft(p *pull) bool {
	gs := m.groups[p.target.Group]
	for k, target := range p.rivals {
		if it := gs.items[k]; it == nil || it.Version < target {
			return true
		}
	}
	return false
}

// askLocks asks about the locks we already hold in the group (our own data may be stale).
func (m *Machine) askLocks(now Time, p *pull, gs *group) {
	for _, k := range keysOf(gs.items) {
		it := gs.items[k]
		if it.Lock.Held() && !p.asked[it.Lock.Tx] {
			p.asked[it.Lock.Tx] = true
			m.askOutcome(now, TxID(it.Lock.Tx), it.Lock.Meta)
		}
	}
}

// finishPull installs the target view once a majority of the source answered and no two
// transactions' locks still compete for a version we do not have.
func (m *Machine) finishPull(now Time, p *pull) bool {
	if len(p.done) < p.need {
		return false
	}
	if m.rivalsLeft(p) {
		// Ask everyone again once the holders had time to learn the outcomes.
		p.rivals = map[string]uint64{}
		p.done = map[string]bool{}
		if p.self {
			p.done[m.self.Addr] = true
		}
		p.after = map[string][]byte{}
		p.next = now.Add(20 * m.cfg.RetryInterval)
		return false
	}
	delete(m.pulls, p.target.Group)
	gs := m.groups[p.target.Group]
	if gs.view.Epoch >= p.target.Epoch {
		return true
	}
	gs.accEpoch = 0
	gs.accView = View{}
	if len(gs.locked) > 0 && gs.lockCheck == 0 {
		gs.lockCheck = now.Add(m.cfg.LockTimeout)
	}
	m.install(now, p.target, true)
	return true
}
