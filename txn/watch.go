package txn

import (
	"slices"
	"time"

	"github.com/detrans/detrans/ring"
)

// Change feeds. A watcher subscribes to a whole group at every member of its view; each member
// answers with the items that changed after the watcher's cursor for that member (its own change
// counter, gs.seq) and then pushes every later change as it applies it. Only committed state is
// ever sent (decisions applied, state pulled), so a watcher never sees a value that did not
// commit. Members differ in what they applied when, so the watcher merges by key version:
// an item is reported only when its version is newer than the last one reported. Pushes can be
// lost; a cursor advances only over an unbroken sequence, and the subscription is renewed every
// SubRefresh with the cursor, which makes the member resend what was missed. A committed write
// is applied at a majority of members, so every one reaches the watcher.

const (
	subTTL      = 15 * time.Second // a member forgets a subscriber not renewed this long
	subRefresh  = 4 * time.Second
	changesPage = 256 << 10
)

type sub struct {
	ref     ring.NodeRef
	expires Time
}

// watch is a watcher's state for one subscribed group.
type watch struct {
	cursors map[string]uint64 // per member address
	latest  map[string]Item   // newest committed state per key seen so far
	next    Time
}

// Subscribe starts (or keeps) a change feed of group g: EvChange events follow, first for every
// key's current state, then for each committed change.
func (m *Machine) Subscribe(now Time, g int) {
	if g < 0 || g >= len(m.groups) {
		return
	}
	if m.watches[g] == nil {
		m.watches[g] = &watch{cursors: map[string]uint64{}, latest: map[string]Item{}}
	}
	m.renew(now, g)
}

// Unsubscribe ends the feed of group g (members forget us after subTTL).
func (m *Machine) Unsubscribe(g int) { delete(m.watches, g) }

// Latest returns the newest committed state of key seen by the feed of its group.
func (m *Machine) Latest(key []byte) (Item, bool) {
	w := m.watches[m.pl.GroupOf(key)]
	if w == nil {
		return Item{}, false
	}
	it, ok := w.latest[string(key)]
	return it, ok
}

// Watched lists the items of a subscribed group as last seen, in key order.
func (m *Machine) Watched(g int) []Item {
	w := m.watches[g]
	if w == nil {
		return nil
	}
	out := make([]Item, 0, len(w.latest))
	for _, k := range sortedKeys(w.latest) {
		out = append(out, w.latest[k])
	}
	return out
}

func (m *Machine) renew(now Time, g int) {
	w := m.watches[g]
	w.next = now.Add(subRefresh)
	v := m.newest(g)
	if v.IsZero() {
		m.askViews(g)
		w.next = now.Add(10 * m.cfg.RetryInterval)
		return
	}
	for _, mem := range v.Members() {
		m.send(Message{Type: MsgSubscribe, To: mem, Group: uint32(g), Seq: w.cursors[mem.Addr]})
	}
}

func (m *Machine) tickWatches(now Time) {
	for _, g := range sortedGroups(m.watches) {
		if now >= m.watches[g].next {
			m.renew(now, g)
		}
	}
}

func (m *Machine) onSubscribe(now Time, msg Message) {
	g := int(msg.Group)
	if g < 0 || g >= len(m.groups) {
		return
	}
	gs := m.groups[g]
	if !gs.ready || !gs.view.Has(m.self.Addr) {
		m.send(Message{Type: MsgChanges, To: msg.From, Group: msg.Group, Code: CodeNotReady, View: m.newest(g)})
		return
	}
	gs.subs[msg.From.Addr] = &sub{ref: msg.From, expires: now.Add(subTTL)}
	if msg.Seq > gs.seq {
		msg.Seq = 0 // a cursor from before this member lost its counter: start over
	}
	// Everything after the cursor, in change order, a page at a time.
	var changed []string
	for k, it := range gs.items {
		if it.Seq > msg.Seq {
			changed = append(changed, k)
		}
	}
	slices.SortFunc(changed, func(a, b string) int {
		return int(gs.items[a].Seq) - int(gs.items[b].Seq)
	})
	rep := Message{Type: MsgChanges, To: msg.From, Group: msg.Group, Epoch: msg.Seq, Seq: gs.seq}
	size := 0
	for _, k := range changed {
		it := gs.items[k]
		if size > changesPage {
			rep.More = true
			break
		}
		rep.Items = append(rep.Items, Item{Key: []byte(k), Value: it.Value, Version: it.Version, Deleted: it.Deleted})
		rep.Seq = it.Seq
		size += len(k) + len(it.Value)
	}
	m.send(rep)
}

// changed records a committed change of key in gs and pushes it to the group's subscribers.
func (m *Machine) changed(now Time, gs *group, key string, it *item) {
	gs.seq++
	it.Seq = gs.seq
	if len(gs.subs) == 0 {
		return
	}
	for _, addr := range sortedKeys(gs.subs) {
		s := gs.subs[addr]
		if now >= s.expires {
			delete(gs.subs, addr)
			continue
		}
		m.send(Message{Type: MsgChanges, To: s.ref, Group: uint32(gs.idx), Epoch: it.Seq - 1, Seq: it.Seq,
			Items: []Item{{Key: []byte(key), Value: it.Value, Version: it.Version, Deleted: it.Deleted}}})
	}
}

func (m *Machine) onChanges(now Time, msg Message) {
	g := int(msg.Group)
	w := m.watches[g]
	if w == nil {
		return
	}
	if msg.Code != CodeOK {
		if msg.View.Epoch > m.known[g].Epoch {
			m.learn(msg.View)
			m.renew(now, g)
		}
		return
	}
	for _, it := range msg.Items {
		if m.pl.GroupOf(it.Key) != g {
			continue
		}
		k := string(it.Key)
		if old, ok := w.latest[k]; ok && old.Version >= it.Version {
			continue
		}
		w.latest[k] = it
		m.emit(Event{Kind: EvChange, Group: g, Key: it.Key, Value: it.Value, Version: it.Version, Found: !it.Deleted && it.Version > 0})
	}
	addr := msg.From.Addr
	if msg.Epoch <= w.cursors[addr] && msg.Seq > w.cursors[addr] {
		w.cursors[addr] = msg.Seq
	}
	if msg.More {
		m.send(Message{Type: MsgSubscribe, To: msg.From, Group: msg.Group, Seq: w.cursors[addr]})
	}
}
