package node

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/detrans/detrans/local"
	"github.com/detrans/detrans/ring"
)

// Optimistic local edits (package local): Local applies an intent to this peer's local view at
// once and commits it in the background; View and Scan read the local view; WatchLocal reports
// changes the user did not make. They need Config.Mirror (the peer keeps a copy of the space)
// so that the view is complete offline; without it the view holds only what this peer edited.

// Local records in and returns; the edit is in the local view for every View, Scan and Sync
// made after Local returns, and commits later. It does not wait for the peer's event loop
// (intake.go). The edit survives a crash of the app from the moment Local returns, and a crash
// of the machine once the fsync that Local requests in the background has run (milliseconds).
// An intent that could never commit is refused with an error and nothing is recorded.
func (n *Node) Local(ctx context.Context, in local.Intent) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("local edit: %w", err)
	}
	if err := n.intake.add(ctx, n.store, in); err != nil {
		return fmt.Errorf("local edit: %w", err)
	}
	return nil
}

// View reads one key of the local view.
func (n *Node) View(ctx context.Context, key string) (local.Value, error) {
	var v local.Value
	err := n.do(ctx, func(ring.Time) { v = n.p.Local.Get(key) })
	return v, err
}

// Scan lists the live keys of the local view with the prefix, in key order.
func (n *Node) Scan(ctx context.Context, prefix string) ([]local.KV, error) {
	var kvs []local.KV
	err := n.do(ctx, func(ring.Time) { kvs = n.p.Local.Scan(prefix) })
	return kvs, err
}

// Register installs the merge rule for intents of one kind. Rules passed in Config.Rebasers are
// in place before the outbox starts draining; one registered later may miss a conflict that
// happens first (the intent is then dropped with a notice).
func (n *Node) Register(kind string, r local.Rebaser) error {
	return n.do(context.Background(), func(ring.Time) { n.p.Local.Register(kind, r) })
}

// SyncStatus is the local layer's state plus the connected peers, for a UI.
type SyncStatus struct {
	local.Status
	Peers int // peers with an open connection
}

// Summary is the one-line state a UI shows: "offline", "N pending", "syncing" or "up to date".
func (s SyncStatus) Summary() string {
	switch {
	case !s.Online || s.Peers == 0 && s.Pending > 0:
		if s.Pending > 0 {
			return fmt.Sprintf("offline, %d pending", s.Pending)
		}
		return "offline"
	case s.Pending > 0:
		return fmt.Sprintf("%d pending", s.Pending)
	}
	return "up to date"
}

// Sync returns the current sync state.
func (n *Node) Sync() SyncStatus {
	var st local.Status
	_ = n.do(context.Background(), func(ring.Time) { st = n.p.Local.Status() })
	return SyncStatus{Status: st, Peers: len(n.host.Network().Peers())}
}

// localWatchers delivers local-view changes to callbacks, in order, on their own goroutine, so a
// callback may call back into the node (View, Scan, Local).
type localWatchers struct {
	mu     sync.Mutex
	nextID int
	subs   map[int]*localWatcher
	status []func(SyncStatus)
	last   local.Status
}

type localWatcher struct {
	prefix string
	fn     func(local.Change)
	queue  *queue[local.Change]
}

// WatchLocal calls fn for every change of a key with the prefix in the local view that the user
// did not make (others' commits arriving, merges, drops with their notice). cancel stops it.
func (n *Node) WatchLocal(prefix string, fn func(local.Change)) (cancel func()) {
	w := &localWatcher{prefix: prefix, fn: fn, queue: newQueue[local.Change]()}
	lw := &n.localW
	lw.mu.Lock()
	if lw.subs == nil {
		lw.subs = map[int]*localWatcher{}
	}
	lw.nextID++
	id := lw.nextID
	lw.subs[id] = w
	lw.mu.Unlock()
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		w.queue.run(n.ctx, fn)
	}()
	return func() {
		lw.mu.Lock()
		delete(lw.subs, id)
		lw.mu.Unlock()
		w.queue.close()
	}
}

// WatchSync calls fn (on a goroutine of its own, in order) whenever the sync state changes.
func (n *Node) WatchSync(fn func(SyncStatus)) (cancel func()) {
	q := newQueue[SyncStatus]()
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		q.run(n.ctx, fn)
	}()
	lw := &n.localW
	lw.mu.Lock()
	lw.status = append(lw.status, func(s SyncStatus) { q.push(s) })
	idx := len(lw.status) - 1
	lw.mu.Unlock()
	q.push(n.Sync())
	return func() {
		lw.mu.Lock()
		lw.status[idx] = func(SyncStatus) {}
		lw.mu.Unlock()
		q.close()
	}
}

// publishLocal hands the loop's local-view changes and sync-state changes to the watchers.
func (n *Node) publishLocal(changes []local.Change) {
	lw := &n.localW
	st := n.p.Local.Status()
	lw.mu.Lock()
	defer lw.mu.Unlock()
	for _, c := range changes {
		for _, id := range sortedInts(lw.subs) {
			if w := lw.subs[id]; strings.HasPrefix(c.Key, w.prefix) {
				w.queue.push(c)
			}
		}
	}
	if st != lw.last {
		lw.last = st
		s := SyncStatus{Status: st, Peers: len(n.host.Network().Peers())}
		for _, f := range lw.status {
			f(s)
		}
	}
}

func sortedInts[V any](m map[int]V) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// queue is an unbounded FIFO drained by one goroutine: watchers never lose an event and never
// block the loop.
type queue[T any] struct {
	mu     sync.Mutex
	items  []T
	signal chan struct{}
	done   chan struct{}
	once   sync.Once
}

func newQueue[T any]() *queue[T] {
	return &queue[T]{signal: make(chan struct{}, 1), done: make(chan struct{})}
}

func (q *queue[T]) push(v T) {
	q.mu.Lock()
	q.items = append(q.items, v)
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

func (q *queue[T]) close() { q.once.Do(func() { close(q.done) }) }

func (q *queue[T]) run(ctx context.Context, fn func(T)) {
	for {
		q.mu.Lock()
		items := q.items
		q.items = nil
		q.mu.Unlock()
		for _, v := range items {
			select {
			case <-q.done:
				return
			default:
			}
			fn(v)
		}
		select {
		case <-q.signal:
		case <-q.done:
			return
		case <-ctx.Done():
			return
		}
	}
}
