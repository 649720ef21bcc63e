package draw

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// ErrNoDrawing is returned by Open for a drawing id the local view does not know.
var ErrNoDrawing = errors.New("no such drawing")

// ErrClosed is returned by edits on a closed Drawing.
var ErrClosed = errors.New("drawing is closed")

// Drawing is one open drawing: the live shapes in z-order, kept up to date from the store, plus
// this user's selection and undo history. All methods are safe for concurrent use: the UI calls
// them on its goroutine while store callbacks update the model on another.
//
// The model is incremental: an edit or a remote change touches only the shapes involved (a map
// lookup and a binary search in the z-ordered slice); nothing rescans the drawing after Open.
type Drawing struct {
	store Store
	id    string
	me    string

	mu     sync.Mutex
	name   string
	shapes map[ShapeID]*entry
	order  []*entry // bottom to top: (Z, author, counter)
	tombs  map[ShapeID]tombstone
	seq    uint64 // my counter in this drawing: the highest ever seen or used
	rev    uint64
	sel    map[ShapeID]bool
	undo   []step
	redo   []step
	subs   map[int]func(Event)
	nsub   int
	closed bool
	cancel []func()
}

// entry is a live shape and its cached paint bounds.
type entry struct {
	s      Shape
	bounds Rect
}

func newEntry(s *Shape) *entry { return &entry{s: *s, bounds: s.Bounds()} }

// zLess orders shapes bottom to top. Ties on Z (two users adding at once) break by id, so every
// replica paints the same picture.
func zLess(a, b *Shape) bool { return zCmp(a, b) < 0 }

func zCmp(a, b *Shape) int {
	if c := cmp.Compare(a.Z, b.Z); c != 0 {
		return c
	}
	if c := cmp.Compare(a.ID.Author, b.ID.Author); c != 0 {
		return c
	}
	return cmp.Compare(a.ID.N, b.ID.N)
}

// Open loads drawing id from the store's local view and starts following its changes. me is this
// peer's author name (it owns the shapes it creates and the undo history). Close it when done.
//
// Open a drawing once per peer and share the *Drawing (several views can Subscribe to it): the
// store does not report a peer's own edits back to it, so a second Drawing on the same store would
// not see the first one's edits.
func Open(ctx context.Context, s Store, id, me string) (*Drawing, error) {
	if err := validName(id); err != nil {
		return nil, fmt.Errorf("open drawing %q: id %w", id, err)
	}
	if err := validName(me); err != nil {
		return nil, fmt.Errorf("open drawing %q: author %q %w", id, me, err)
	}
	Register(s)
	d := &Drawing{
		store: s, id: id, me: me,
		shapes: map[ShapeID]*entry{}, tombs: map[ShapeID]tombstone{},
		sel: map[ShapeID]bool{}, subs: map[int]func(Event){},
	}
	// Watch before reading, so a change landing between the read and the watch is not lost; the
	// callbacks wait on d.mu until the initial load is in.
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cancel = append(d.cancel,
		s.Watch(docPrefix(id), d.onDocChange),
		s.Watch(listKey(id), d.onMetaChange))
	if err := d.load(ctx); err != nil {
		d.closeLocked()
		return nil, fmt.Errorf("open drawing %s: %w", id, err)
	}
	return d, nil
}

// load reads everything; d.mu held.
func (d *Drawing) load(ctx context.Context) error {
	mv, err := d.store.Get(ctx, listKey(d.id))
	if err != nil {
		return fmt.Errorf("read metadata: %w", err)
	}
	if !mv.Exists() {
		return ErrNoDrawing
	}
	m, err := decodeMeta(mv.Data)
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	d.name = m.Name
	sv, err := d.store.Get(ctx, seqKey(d.id, d.me))
	if err != nil {
		return fmt.Errorf("read counter: %w", err)
	}
	d.seq = decodeSeq(sv)
	kvs, err := d.store.Scan(ctx, shapePrefix(d.id))
	if err != nil {
		return fmt.Errorf("read shapes: %w", err)
	}
	d.order = make([]*entry, 0, len(kvs))
	for _, kv := range kvs {
		id, ok := shapeIDFromKey(d.id, kv.Key)
		if !ok {
			continue // a key this version does not understand; not a shape
		}
		st, err := decodeStored(id, kv.Value)
		if err != nil {
			continue // one unreadable record from a buggy peer must not make the drawing unusable
		}
		switch {
		case st.shape != nil:
			e := newEntry(st.shape)
			d.shapes[id] = e
			d.order = append(d.order, e)
		case st.tomb != nil:
			d.tombs[id] = *st.tomb
		}
		if id.Author == d.me && id.N > d.seq {
			d.seq = id.N // never reuse an id, even if the counter key lags
		}
	}
	slices.SortFunc(d.order, func(a, b *entry) int { return zCmp(&a.s, &b.s) })
	return nil
}

// Close stops following the store. Queries keep answering from the last state; edits fail.
func (d *Drawing) Close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closeLocked()
}

func (d *Drawing) closeLocked() {
	d.closed = true
	for _, c := range d.cancel {
		c()
	}
	d.cancel = nil
}

// ID is the drawing's id (stable; the name can change).
func (d *Drawing) ID() string { return d.id }

// Me is the author name this model edits as.
func (d *Drawing) Me() string { return d.me }

// Name is the drawing's current display name. It reads the local view, so a rename made through
// the Library on this peer (which the store does not echo back as a change) shows at once.
func (d *Drawing) Name() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if v, err := d.store.Get(context.Background(), listKey(d.id)); err == nil && v.Exists() {
		if m, err := decodeMeta(v.Data); err == nil {
			d.name = m.Name
		}
	}
	return d.name
}

// Rename renames this drawing (see Library.Rename) and emits a Renamed event.
func (d *Drawing) Rename(ctx context.Context, name string) error {
	lib := Library{store: d.store, me: d.me}
	if err := lib.Rename(ctx, d.id, name); err != nil {
		return err
	}
	d.mu.Lock()
	d.name = strings.TrimSpace(name)
	d.emitLocked(Event{Renamed: true})
	return nil
}

// Status is the store's sync state, for the "N edits pending" display.
func (d *Drawing) Status() Status { return d.store.Status() }

// indexOf finds a live shape in d.order by binary search on its z key; d.mu held.
func (d *Drawing) indexOf(s *Shape) int {
	i := d.insertAt(s)
	if i < len(d.order) && d.order[i].s.ID == s.ID {
		return i
	}
	// Unreachable while d.order stays sorted; a linear search keeps a bug from corrupting it.
	return slices.IndexFunc(d.order, func(e *entry) bool { return e.s.ID == s.ID })
}

// set installs the new state of one shape key and records what changed in ev; d.mu held.
// version < 0 keeps the shape's known committed version (local edits do not move it).
func (d *Drawing) set(id ShapeID, st stored, version int64, ev *Event) {
	old := d.shapes[id]
	delete(d.tombs, id)
	if st.tomb != nil {
		d.tombs[id] = *st.tomb
	}
	if st.shape == nil {
		if old == nil {
			return
		}
		i := d.indexOf(&old.s)
		d.order = slices.Delete(d.order, i, i+1)
		delete(d.shapes, id)
		ev.Removed = append(ev.Removed, id)
		ev.dirty(old.bounds)
		if d.sel[id] {
			delete(d.sel, id)
			ev.Selection = true
		}
		return
	}
	s := *st.shape
	s.ID = id
	switch {
	case version >= 0:
		s.Version = uint64(version)
	case old != nil:
		s.Version = old.s.Version
	default:
		s.Version = 0
	}
	e := newEntry(&s)
	ev.dirty(e.bounds)
	if old == nil {
		d.shapes[id] = e
		d.order = slices.Insert(d.order, d.insertAt(&e.s), e)
		ev.Added = append(ev.Added, id)
		return
	}
	ev.dirty(old.bounds)
	ev.Changed = append(ev.Changed, id)
	d.shapes[id] = e
	i := d.indexOf(&old.s)
	if zCmp(&old.s, &s) == 0 {
		d.order[i] = e
		return
	}
	d.order = slices.Delete(d.order, i, i+1)
	d.order = slices.Insert(d.order, d.insertAt(&e.s), e)
}

func (d *Drawing) insertAt(s *Shape) int {
	return sort.Search(len(d.order), func(i int) bool { return !zLess(&d.order[i].s, s) })
}

// onDocChange follows the store: another peer's commit, or a rebase or drop of one of ours.
func (d *Drawing) onDocChange(c Change) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	ev := Event{Remote: true}
	if c.Notice != "" {
		ev.Notices = append(ev.Notices, c.Notice)
	}
	if id, ok := shapeIDFromKey(d.id, c.Key); ok {
		v, err := d.store.Get(context.Background(), c.Key)
		if err != nil {
			ev.Notices = append(ev.Notices, fmt.Sprintf("could not read shape %s: %v", id, err))
		} else {
			st, err := decodeStored(id, v)
			if err != nil {
				ev.Notices = append(ev.Notices, fmt.Sprintf("hiding an unreadable shape: %v", err))
				st = stored{}
			}
			d.set(id, st, int64(v.Version), &ev)
			if id.Author == d.me && id.N > d.seq {
				d.seq = id.N
			}
		}
	} else if c.Key == seqKey(d.id, d.me) {
		if v, err := d.store.Get(context.Background(), c.Key); err == nil {
			d.seq = max(d.seq, decodeSeq(v))
		}
	}
	d.emitLocked(ev)
}

func (d *Drawing) onMetaChange(c Change) {
	if c.Key != listKey(d.id) {
		return // a longer id sharing the prefix
	}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	ev := Event{Remote: true}
	if c.Notice != "" {
		ev.Notices = append(ev.Notices, c.Notice)
	}
	if v, err := d.store.Get(context.Background(), c.Key); err == nil && v.Exists() {
		if m, err := decodeMeta(v.Data); err == nil && m.Name != d.name {
			d.name = m.Name
			ev.Renamed = true
		}
	}
	d.emitLocked(ev)
}

// Shape returns one live shape.
func (d *Drawing) Shape(id ShapeID) (Shape, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e := d.shapes[id]
	if e == nil {
		return Shape{}, false
	}
	return e.s.Clone(), true
}

// Len is the number of live shapes.
func (d *Drawing) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.order)
}

// Rev counts the model's changes; events carry it.
func (d *Drawing) Rev() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.rev
}

// Shapes returns every live shape, bottom to top: the paint order.
func (d *Drawing) Shapes() []Shape {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Shape, len(d.order))
	for i, e := range d.order {
		out[i] = e.s.Clone()
	}
	return out
}

// Visible returns the shapes whose paint bounds meet r, bottom to top: what a viewport showing r
// must paint.
func (d *Drawing) Visible(r Rect) []Shape {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Shape
	for _, e := range d.order {
		if overlaps(e.bounds, r) {
			out = append(out, e.s.Clone())
		}
	}
	return out
}

// At returns the topmost shape under p, within tol drawing units (the caller divides its pixel
// tolerance by the zoom).
func (d *Drawing) At(p Point, tol float64) (ShapeID, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := len(d.order) - 1; i >= 0; i-- {
		e := d.order[i]
		if e.bounds.Inset(tol).Contains(p) && e.s.Hit(p, tol) {
			return e.s.ID, true
		}
	}
	return ShapeID{}, false
}

// Within returns the shapes whose paint bounds lie entirely inside r (rubber-band selection),
// bottom to top.
func (d *Drawing) Within(r Rect) []ShapeID {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []ShapeID
	for _, e := range d.order {
		if r.Contains(e.bounds.Min) && r.Contains(e.bounds.Max) {
			out = append(out, e.s.ID)
		}
	}
	return out
}

// Extent is the union of all live shapes' paint bounds; ok is false for an empty drawing.
func (d *Drawing) Extent() (r Rect, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return extentOf(d.order)
}

func extentOf(es []*entry) (Rect, bool) {
	if len(es) == 0 {
		return Rect{}, false
	}
	r := es[0].bounds
	for _, e := range es[1:] {
		r = r.Union(e.bounds)
	}
	return r, true
}

func overlaps(a, b Rect) bool {
	return a.Min.X <= b.Max.X && b.Min.X <= a.Max.X && a.Min.Y <= b.Max.Y && b.Min.Y <= a.Max.Y
}

// Tombstones is the number of tombstones in the local view, per deleter (for tests and a
// diagnostics view: the bound of MaxTombstones per deleter is what keeps them from piling up).
func (d *Drawing) Tombstones() map[string]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[string]int{}
	for _, t := range d.tombs {
		out[t.By]++
	}
	return out
}

func decodeMeta(b []byte) (meta, error) {
	var m meta
	if err := json.Unmarshal(b, &m); err != nil {
		return meta{}, err
	}
	if err := validTitle(m.Name); err != nil {
		return meta{}, fmt.Errorf("name: %w", err)
	}
	return m, nil
}
