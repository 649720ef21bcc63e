package space

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"

	"github.com/detrans/detrans/app/draw"
	"github.com/detrans/detrans/local"
	"github.com/detrans/detrans/node"
)

// Store is the open space's local view and outbox as a draw.Store (and any app model built on
// the same contract). It stays the same object when Join switches spaces: its watchers move to
// the new peer and are told about every key that changed by the switch, so models reload.
type Store struct {
	sp *Space

	mu       sync.Mutex
	n        *node.Node
	nextID   int
	watchers map[int]*watcher
	stale    map[int][]string // keys the previous space held, per watcher, until the next attach
}

type watcher struct {
	prefix string
	fn     func(draw.Change)
	cancel func()
}

var _ draw.Store = (*Store)(nil)

// DrawStore is the store for the drawing model.
func (sp *Space) DrawStore() *Store { return sp.store }

var errNotStarted = errors.New("space: the peer is not running")

func (s *Store) node() (*node.Node, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == nil {
		return nil, errNotStarted
	}
	return s.n, nil
}

// attach moves the store to a freshly started peer (Start, Join); watchers are told about every
// key the new space holds under their prefix, so models built on the previous space reload.
func (s *Store) attach(n *node.Node) {
	s.mu.Lock()
	s.n = n
	for _, w := range s.watchers {
		w.cancel = n.WatchLocal(w.prefix, s.deliver(w))
	}
	ids, ws := s.sorted()
	stale := s.stale
	s.stale = nil
	s.mu.Unlock()
	for i, w := range ws {
		keys := map[string]bool{}
		for _, k := range stale[ids[i]] {
			keys[k] = true
		}
		if kvs, err := n.Scan(context.Background(), w.prefix); err == nil {
			for _, kv := range kvs {
				keys[kv.Key] = true
			}
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		slices.Sort(sorted)
		for _, k := range sorted {
			w.fn(draw.Change{Key: k})
		}
	}
}

// detach cuts the store from a stopping peer, remembering the keys each watcher saw there, so
// the next attach tells it they changed.
func (s *Store) detach() {
	s.mu.Lock()
	n := s.n
	s.n = nil
	ids, ws := s.sorted()
	for _, w := range ws {
		if w.cancel != nil {
			w.cancel()
			w.cancel = nil
		}
	}
	s.mu.Unlock()
	if n == nil {
		return
	}
	stale := map[int][]string{}
	for i, w := range ws {
		if kvs, err := n.Scan(context.Background(), w.prefix); err == nil {
			for _, kv := range kvs {
				stale[ids[i]] = append(stale[ids[i]], kv.Key)
			}
		}
	}
	s.mu.Lock()
	s.stale = stale
	s.mu.Unlock()
}

func (s *Store) sorted() ([]int, []*watcher) {
	ids := make([]int, 0, len(s.watchers))
	for id := range s.watchers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]*watcher, len(ids))
	for i, id := range ids {
		out[i] = s.watchers[id]
	}
	return ids, out
}

func (s *Store) deliver(w *watcher) func(local.Change) {
	return func(c local.Change) { w.fn(draw.Change{Key: c.Key, Notice: c.Notice}) }
}

// Local implements draw.Store.
func (s *Store) Local(ctx context.Context, in draw.Intent) error {
	n, err := s.node()
	if err != nil {
		return err
	}
	li := local.Intent{Kind: in.Kind, Op: in.Op, Reads: in.Reads}
	for _, w := range in.Writes {
		li.Writes = append(li.Writes, local.Write{Key: w.Key, Value: w.Value})
	}
	return n.Local(ctx, li)
}

// Get implements draw.Store.
func (s *Store) Get(ctx context.Context, key string) (draw.Value, error) {
	n, err := s.node()
	if err != nil {
		return draw.Value{}, err
	}
	v, err := n.View(ctx, key)
	return draw.Value{Data: v.Data, Version: v.Version}, err
}

// Scan implements draw.Store.
func (s *Store) Scan(ctx context.Context, prefix string) ([]draw.KV, error) {
	n, err := s.node()
	if err != nil {
		return nil, err
	}
	kvs, err := n.Scan(ctx, prefix)
	if err != nil {
		return nil, err
	}
	out := make([]draw.KV, len(kvs))
	for i, kv := range kvs {
		out[i] = draw.KV{Key: kv.Key, Value: draw.Value{Data: kv.Data, Version: kv.Version}}
	}
	return out, nil
}

// Watch implements draw.Store.
func (s *Store) Watch(prefix string, fn func(draw.Change)) (cancel func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	id := s.nextID
	w := &watcher{prefix: prefix, fn: fn}
	s.watchers[id] = w
	if s.n != nil {
		w.cancel = s.n.WatchLocal(prefix, s.deliver(w))
	}
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if w.cancel != nil {
			w.cancel()
		}
		delete(s.watchers, id)
	}
}

// Register implements draw.Store: rules registered before Start are in place before the outbox
// drains; later ones are installed on the running peer too.
func (s *Store) Register(kind string, r draw.Rebaser) {
	rb := func(in local.Intent, fresh map[string]local.Value) local.Rebased {
		di := draw.Intent{Kind: in.Kind, Op: in.Op, Reads: in.Reads}
		for _, w := range in.Writes {
			di.Writes = append(di.Writes, draw.Write{Key: w.Key, Value: w.Value})
		}
		df := make(map[string]draw.Value, len(fresh))
		for k, v := range fresh {
			df[k] = draw.Value{Data: v.Data, Version: v.Version}
		}
		res := r(di, df)
		out := local.Rebased{Notice: res.Notice}
		if res.Intent != nil {
			li := local.Intent{Kind: res.Intent.Kind, Op: res.Intent.Op, Reads: res.Intent.Reads}
			for _, w := range res.Intent.Writes {
				li.Writes = append(li.Writes, local.Write{Key: w.Key, Value: w.Value})
			}
			out.Intent = &li
		}
		return out
	}
	s.sp.mu.Lock()
	s.sp.rebasers[kind] = rb
	s.sp.mu.Unlock()
	if n, err := s.node(); err == nil {
		_ = n.Register(kind, rb)
	}
}

// Status implements draw.Store.
func (s *Store) Status() draw.Status {
	n, err := s.node()
	if err != nil {
		return draw.Status{}
	}
	st := n.Sync()
	return draw.Status{Online: st.Online, Pending: st.Pending, Merged: st.Merged, Dropped: st.Dropped}
}

// memberRule keeps the newest announcement of a member (only that member writes its key).
func memberRule(in local.Intent, fresh map[string]local.Value) local.Rebased {
	var m Member
	if json.Unmarshal(in.Op, &m) != nil {
		return local.Rebased{}
	}
	return local.Rebased{Intent: &in}
}
