package node

import (
	"context"
	"fmt"
	"sync"

	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/txn"
)

// Change is a committed change of a watched key.
type Change struct {
	Key     []byte
	Value   []byte
	Version uint64
	Found   bool // false: the key was deleted
}

// keyWatchers fans the store's change feeds out to Watch callers. Owned by the loop, except
// each watcher's queue, which its own goroutine drains into the caller's channel.
type keyWatchers struct {
	nextID int
	subs   map[int]*keyWatcher
	groups map[int]int // group → number of watchers using its feed
}

type keyWatcher struct {
	keys map[string]bool
	last map[string]uint64 // highest version delivered per key: no duplicates, no going back
	q    *queue[Change]
}

// Watch delivers every committed change of keys on the returned channel: first each key's
// current state (if it was ever written), then each later committed version, in version order
// per key, none twice. Replicas push changes; after a disconnection the feed catches up from
// where it stopped, so a version that is overtaken while this peer was cut off is skipped and
// the newer one arrives. The channel closes when ctx ends or the node closes.
func (n *Node) Watch(ctx context.Context, keys ...[]byte) (<-chan Change, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("watch: no keys")
	}
	w := &keyWatcher{keys: map[string]bool{}, last: map[string]uint64{}, q: newQueue[Change]()}
	for _, k := range keys {
		if len(k) == 0 {
			return nil, fmt.Errorf("watch: empty key")
		}
		w.keys[string(k)] = true
	}
	var id int
	kw := &n.watchW
	err := n.do(ctx, func(now ring.Time) {
		if kw.subs == nil {
			kw.subs, kw.groups = map[int]*keyWatcher{}, map[int]int{}
		}
		kw.nextID++
		id = kw.nextID
		kw.subs[id] = w
		pl := n.p.Txn.Placement()
		seen := map[int]bool{}
		for k := range w.keys {
			g := pl.GroupOf([]byte(k))
			if !seen[g] {
				seen[g] = true
				kw.groups[g]++
				n.p.Subscribe(now, g)
			}
			// A feed already running does not replay: start from what it has seen.
			if it, ok := n.p.Txn.Latest([]byte(k)); ok {
				w.offer(Change{Key: it.Key, Value: it.Value, Version: it.Version, Found: !it.Deleted})
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	ch := make(chan Change)
	var once sync.Once
	stop := func() {
		once.Do(func() {
			w.q.close()
			_ = n.do(context.Background(), func(ring.Time) { n.unwatch(id) })
		})
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		defer close(ch)
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-ctx.Done():
				stop()
			case <-done:
			}
		}()
		w.q.run(n.ctx, func(c Change) {
			select {
			case ch <- c:
			case <-ctx.Done():
			case <-n.ctx.Done():
			}
		})
	}()
	return ch, nil
}

// offer queues c if it is newer than what the watcher got for its key.
func (w *keyWatcher) offer(c Change) {
	k := string(c.Key)
	if !w.keys[k] || c.Version <= w.last[k] {
		return
	}
	w.last[k] = c.Version
	w.q.push(c)
}

func (n *Node) unwatch(id int) {
	kw := &n.watchW
	w := kw.subs[id]
	if w == nil {
		return
	}
	delete(kw.subs, id)
	pl := n.p.Txn.Placement()
	seen := map[int]bool{}
	for k := range w.keys {
		g := pl.GroupOf([]byte(k))
		if seen[g] {
			continue
		}
		seen[g] = true
		if kw.groups[g]--; kw.groups[g] <= 0 {
			delete(kw.groups, g)
			if !n.s.Mirror {
				n.p.Txn.Unsubscribe(g)
			}
		}
	}
}

// deliverChange hands a change-feed event to the watchers of its key (loop goroutine).
func (n *Node) deliverChange(ev txn.Event) {
	for _, id := range sortedInts(n.watchW.subs) {
		n.watchW.subs[id].offer(Change{Key: ev.Key, Value: ev.Value, Version: ev.Version, Found: ev.Found})
	}
}
