package memstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/detrans/detrans/app/draw"
)

// forceConflict is an expected version no key ever reaches, so the intent must rebase.
const forceConflict = ^uint64(0)

// maxRebases bounds retries of one intent; a rebaser that never converges must not wedge the outbox.
const maxRebases = 8

type entry struct {
	data []byte
	ver  uint64
}

// Network is the shared committed state of all replicas.
type Network struct {
	mu       sync.Mutex
	data     map[string]entry
	log      []string // committed keys in commit order; replicas pull from an index
	replicas []*Replica
}

// New returns an empty network.
func New() *Network { return &Network{data: map[string]entry{}} }

// Replica adds one user's node, online, with an empty view of the current committed state pulled.
func (n *Network) Replica(name string) *Replica {
	r := &Replica{
		name: name, net: n, online: true,
		known: map[string]entry{}, overlay: map[string]*pending{},
		rebasers: map[string]draw.Rebaser{},
	}
	n.mu.Lock()
	n.replicas = append(n.replicas, r)
	n.mu.Unlock()
	r.Pull()
	return r
}

// Committed returns a key's committed value, for test assertions.
func (n *Network) Committed(key string) draw.Value {
	n.mu.Lock()
	defer n.mu.Unlock()
	e := n.data[key]
	return draw.Value{Data: e.data, Version: e.ver}
}

// Sync lets every online replica commit its outbox (in creation order) and then pull.
func (n *Network) Sync() {
	n.mu.Lock()
	rs := slices.Clone(n.replicas)
	n.mu.Unlock()
	for _, r := range rs {
		r.Flush()
	}
	for _, r := range rs {
		r.Pull()
	}
}

// Run syncs every interval until ctx ends: a live-feeling store for the UI while the node is built.
func (n *Network) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n.Sync()
		}
	}
}

type pending struct {
	in     draw.Intent
	expect map[string]uint64
	dep    map[string]*pending // key -> earlier pending intent this one's view of key came from
}

func (p *pending) keys() []string {
	ks := slices.Clone(p.in.Reads)
	for _, w := range p.in.Writes {
		ks = append(ks, w.Key)
	}
	slices.Sort(ks)
	return slices.Compact(ks)
}

type watcher struct {
	prefix string
	fn     func(draw.Change)
	off    bool
}

// Replica is one user's node. It implements draw.Store.
type Replica struct {
	name string
	net  *Network

	mu       sync.Mutex
	online   bool
	known    map[string]entry // committed state as last pulled (or committed by us)
	seen     int              // index into net.log already pulled
	outbox   []*pending
	overlay  map[string]*pending // key -> last pending intent writing it
	rebasers map[string]draw.Rebaser
	watchers []*watcher
	status   draw.Status

	deliver sync.Mutex // callbacks run one at a time, in order
}

var _ draw.Store = (*Replica)(nil)

// Name is the replica's name given to Network.Replica.
func (r *Replica) Name() string { return r.name }

// SetOnline cuts the replica off (false) or reconnects it (true). Reconnecting does not drain the
// outbox by itself; call Flush or Network.Sync, as a real committer would on its next round.
func (r *Replica) SetOnline(on bool) {
	r.mu.Lock()
	r.online = on
	r.mu.Unlock()
}

// Register implements draw.Store.
func (r *Replica) Register(kind string, rb draw.Rebaser) {
	r.mu.Lock()
	r.rebasers[kind] = rb
	r.mu.Unlock()
}

// Status implements draw.Store.
func (r *Replica) Status() draw.Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.status
	s.Online = r.online
	s.Pending = len(r.outbox)
	return s
}

// Local implements draw.Store.
func (r *Replica) Local(ctx context.Context, in draw.Intent) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if in.Kind == "" {
		return errors.New("memstore: intent without kind")
	}
	if len(in.Writes) == 0 {
		return errors.New("memstore: intent without writes")
	}
	in = cloneIntent(in)
	r.mu.Lock()
	defer r.mu.Unlock()
	p := &pending{in: in, expect: map[string]uint64{}, dep: map[string]*pending{}}
	for _, k := range p.keys() {
		if w := r.overlay[k]; w != nil {
			p.dep[k] = w
		} else {
			p.expect[k] = r.known[k].ver
		}
	}
	r.outbox = append(r.outbox, p)
	for _, w := range in.Writes {
		r.overlay[w.Key] = p
	}
	return nil
}

// Get implements draw.Store.
func (r *Replica) Get(ctx context.Context, key string) (draw.Value, error) {
	if err := ctx.Err(); err != nil {
		return draw.Value{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.view(key), nil
}

// Scan implements draw.Store.
func (r *Replica) Scan(ctx context.Context, prefix string) ([]draw.KV, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var keys []string
	for k := range r.known {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	for k := range r.overlay {
		if _, dup := r.known[k]; !dup && strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := make([]draw.KV, 0, len(keys))
	for _, k := range keys {
		if v := r.view(k); v.Exists() {
			out = append(out, draw.KV{Key: k, Value: v})
		}
	}
	return out, nil
}

// Watch implements draw.Store.
func (r *Replica) Watch(prefix string, fn func(draw.Change)) (cancel func()) {
	w := &watcher{prefix: prefix, fn: fn}
	r.mu.Lock()
	r.watchers = append(r.watchers, w)
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		w.off = true
		r.watchers = slices.DeleteFunc(r.watchers, func(x *watcher) bool { return x == w })
		r.mu.Unlock()
	}
}

// Pending returns the queued intents' kinds and ops, oldest first, for test assertions.
func (r *Replica) Pending() []draw.Intent {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]draw.Intent, len(r.outbox))
	for i, p := range r.outbox {
		out[i] = cloneIntent(p.in)
	}
	return out
}

// view reads the local view; r.mu held.
func (r *Replica) view(key string) draw.Value {
	e := r.known[key]
	if p := r.overlay[key]; p != nil {
		for _, w := range p.in.Writes {
			if w.Key == key {
				return draw.Value{Data: w.Value, Version: e.ver}
			}
		}
	}
	return draw.Value{Data: e.data, Version: e.ver}
}

// Flush commits the outbox in order while online, rebasing on conflicts, reports view changes and
// pulls.
func (r *Replica) Flush() {
	r.mu.Lock()
	if !r.online {
		r.mu.Unlock()
		return
	}
	before := map[string][]byte{}
	notices := map[string]string{}
	remember := func(keys []string) {
		for _, k := range keys {
			if _, ok := before[k]; !ok {
				before[k] = r.view(k).Data
			}
		}
	}
	for len(r.outbox) > 0 {
		p := r.outbox[0]
		remember(writeKeys(p.in))
		if !r.commitHead(p, notices, remember) {
			continue // dropped; head already removed
		}
	}
	r.rebuildOverlay()
	evs := r.diff(before, notices)
	r.mu.Unlock()
	r.emit(evs)
	r.Pull() // a committer that just talked to the replicas knows the fresh state
}

// commitHead commits or rebases the head intent until it commits or is dropped; r.mu held.
func (r *Replica) commitHead(p *pending, notices map[string]string, remember func([]string)) bool {
	for attempt := 0; ; attempt++ {
		r.net.mu.Lock()
		keys := p.keys()
		conflict := len(p.dep) > 0
		for _, k := range keys {
			if exp, ok := p.expect[k]; !ok || r.net.data[k].ver != exp {
				conflict = true
			}
		}
		if !conflict {
			for _, w := range p.in.Writes {
				e := entry{data: w.Value, ver: r.net.data[w.Key].ver + 1}
				r.net.data[w.Key] = e
				r.net.log = append(r.net.log, w.Key)
				r.known[w.Key] = e
				for _, q := range r.outbox[1:] {
					if q.dep[w.Key] == p {
						delete(q.dep, w.Key)
						q.expect[w.Key] = e.ver
					}
				}
			}
			r.net.mu.Unlock()
			r.outbox = r.outbox[1:]
			return true
		}
		fresh := map[string]draw.Value{}
		for _, k := range keys {
			e := r.net.data[k]
			fresh[k] = draw.Value{Data: e.data, Version: e.ver}
		}
		r.net.mu.Unlock()

		var res draw.Rebased
		if rb := r.rebasers[p.in.Kind]; rb == nil {
			res.Notice = fmt.Sprintf("dropped an edit of kind %q: no merge rule registered", p.in.Kind)
		} else if attempt >= maxRebases {
			res.Notice = fmt.Sprintf("dropped an edit after %d failed merges", attempt)
		} else {
			res = rb(cloneIntent(p.in), fresh)
		}
		r.staleDependents(p)
		if res.Intent == nil {
			r.status.Dropped++
			note(notices, writeKeys(p.in), res.Notice)
			r.outbox = r.outbox[1:]
			return false
		}
		if res.Notice != "" {
			r.status.Merged++
		}
		p.in = cloneIntent(*res.Intent)
		remember(writeKeys(p.in))
		note(notices, writeKeys(p.in), res.Notice)
		p.dep = map[string]*pending{}
		p.expect = map[string]uint64{}
		r.net.mu.Lock()
		for _, k := range p.keys() {
			p.expect[k] = r.net.data[k].ver
		}
		r.net.mu.Unlock()
	}
}

// staleDependents forces later intents that saw p's old writes through their own rebase; r.mu held.
func (r *Replica) staleDependents(p *pending) {
	for _, q := range r.outbox {
		for k, d := range q.dep {
			if d == p {
				delete(q.dep, k)
				q.expect[k] = forceConflict
			}
		}
	}
}

func (r *Replica) rebuildOverlay() {
	clear(r.overlay)
	for _, p := range r.outbox {
		for _, w := range p.in.Writes {
			r.overlay[w.Key] = p
		}
	}
}

// Pull receives commits made since the last pull, while online, and reports view changes.
func (r *Replica) Pull() {
	r.mu.Lock()
	if !r.online {
		r.mu.Unlock()
		return
	}
	r.net.mu.Lock()
	before := map[string][]byte{}
	for _, k := range r.net.log[r.seen:] {
		if _, ok := before[k]; !ok {
			before[k] = r.view(k).Data
		}
		r.known[k] = r.net.data[k]
	}
	r.seen = len(r.net.log)
	r.net.mu.Unlock()
	evs := r.diff(before, nil)
	r.mu.Unlock()
	r.emit(evs)
}

type event struct {
	w *watcher
	c draw.Change
}

// diff turns view changes into watcher calls; r.mu held.
func (r *Replica) diff(before map[string][]byte, notices map[string]string) []event {
	keys := make([]string, 0, len(before))
	for k := range before {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var evs []event
	for _, k := range keys {
		n := notices[k]
		now := r.view(k).Data
		if n == "" && string(now) == string(before[k]) && (now == nil) == (before[k] == nil) {
			continue
		}
		for _, w := range r.watchers {
			if strings.HasPrefix(k, w.prefix) {
				evs = append(evs, event{w, draw.Change{Key: k, Notice: n}})
			}
		}
	}
	return evs
}

func (r *Replica) emit(evs []event) {
	if len(evs) == 0 {
		return
	}
	r.deliver.Lock()
	defer r.deliver.Unlock()
	for _, e := range evs {
		r.mu.Lock()
		off := e.w.off
		r.mu.Unlock()
		if !off {
			e.w.fn(e.c)
		}
	}
}

// note attaches a notice to the first key only, so the user hears it once.
func note(notices map[string]string, keys []string, n string) {
	if n == "" || len(keys) == 0 {
		return
	}
	if notices[keys[0]] == "" {
		notices[keys[0]] = n
	} else {
		notices[keys[0]] += "; " + n
	}
}

func writeKeys(in draw.Intent) []string {
	ks := make([]string, len(in.Writes))
	for i, w := range in.Writes {
		ks[i] = w.Key
	}
	return ks
}

// cloneIntent keeps the outbox independent of the caller's buffers.
func cloneIntent(in draw.Intent) draw.Intent {
	out := draw.Intent{Kind: in.Kind, Op: slices.Clone(in.Op), Reads: slices.Clone(in.Reads)}
	out.Writes = make([]draw.Write, len(in.Writes))
	for i, w := range in.Writes {
		out.Writes[i] = draw.Write{Key: w.Key, Value: slices.Clone(w.Value)}
	}
	return out
}
