package draw

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
)

// MaxTombstones is how many tombstones one deleter keeps per drawing. Each delete beyond it has
// the deleter forget its oldest tombstones in the same transaction, so a drawing never holds more
// than MaxTombstones × (number of peers that ever deleted in it) of them.
const MaxTombstones = 256

// ErrNoShape is returned when an edit names a shape that is not live in the drawing.
var ErrNoShape = errors.New("no such shape")

// Style is a change of look for Restyle; nil fields stay as they are.
type Style struct {
	Stroke *Color   // line colour, and the colour of text
	Width  *float64 // line width (not applied to text)
	Fill   *Color   // rect, ellipse and text background (not applied to lines and strokes); None removes it
}

// modelState lets an op read the model's own state (the local view as the model mirrors it).
type modelState struct{ d *Drawing }

func (m modelState) shape(id ShapeID) (stored, bool) {
	if e := m.d.shapes[id]; e != nil {
		s := e.s
		return stored{shape: &s}, true
	}
	if t, ok := m.d.tombs[id]; ok {
		return stored{tomb: &t}, true
	}
	return stored{}, true
}

func (m modelState) seq(author string) (uint64, bool) {
	if author != m.d.me {
		return 0, false
	}
	return m.d.seq, true
}

func (d *Drawing) newOp() op { return op{V: opVersion, Drawing: d.id, By: d.me} }

// number gives o's new shapes their ids and its deletes their tombstone numbers, and picks the
// oldest of my tombstones to purge so that I keep at most MaxTombstones; d.mu held.
func (d *Drawing) number(o *op) {
	n := d.seq
	dels := 0
	for i := range o.Items {
		it := &o.Items[i]
		switch it.T {
		case itemAdd:
			for {
				n++
				id := ShapeID{d.me, n}
				if _, live := d.shapes[id]; !live {
					if _, dead := d.tombs[id]; !dead {
						it.ID = id
						break
					}
				}
			}
		case itemDelete:
			n++
			it.Tomb = n
			dels++
		}
	}
	if n > d.seq {
		o.Seq = n
	}
	if dels == 0 {
		return
	}
	var mine []ShapeID
	for id, t := range d.tombs {
		if t.By == d.me {
			mine = append(mine, id)
		}
	}
	excess := len(mine) + dels - MaxTombstones
	if excess <= 0 {
		return
	}
	slices.SortFunc(mine, func(a, b ShapeID) int { return cmp.Compare(d.tombs[a].Seq, d.tombs[b].Seq) })
	k := min(excess, len(mine))
	o.Purge = append(o.Purge, mine[:k]...)
	// Deleting more than MaxTombstones shapes at once: the first ones leave no tombstone at all.
	for i := range o.Items {
		if k >= excess {
			break
		}
		if o.Items[i].T == itemDelete {
			o.Items[i].Tomb = 0
			k++
		}
	}
}

// commit applies o to the model and queues it as one intent; d.mu held. Nothing changes if the
// store refuses the intent.
func (d *Drawing) commit(ctx context.Context, o *op, ev *Event) (outcome, error) {
	if d.closed {
		return outcome{}, ErrClosed
	}
	out := o.apply(modelState{d})
	if len(out.writes) > 0 {
		in := Intent{Kind: IntentShapes, Op: encodeOp(&out.op), Writes: out.writes}
		if err := d.store.Local(ctx, in); err != nil {
			return outcome{}, fmt.Errorf("drawing %s: queue edit: %w", d.id, err)
		}
		d.seq = max(d.seq, o.Seq)
		for _, e := range out.effects {
			d.set(e.it.ID, e.after, -1, ev)
		}
		for _, id := range out.purged {
			d.set(id, stored{}, -1, ev)
		}
	}
	ev.Notices = append(ev.Notices, out.notices...)
	return out, nil
}

// edit runs a new user action: commit, then make it undoable; takes and releases d.mu.
func (d *Drawing) edit(ctx context.Context, build func() (op, error)) (outcome, error) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return outcome{}, ErrClosed
	}
	o, err := build()
	if err != nil || len(o.Items) == 0 {
		d.mu.Unlock()
		return outcome{}, err
	}
	d.number(&o)
	var ev Event
	out, err := d.commit(ctx, &o, &ev)
	if err != nil {
		d.mu.Unlock()
		return outcome{}, err
	}
	d.remember(out)
	d.emitLocked(ev)
	return out, nil
}

func normalize(s *Shape) {
	if s.Fill.A == 0 {
		s.Fill = None
	}
}

// Add puts a new shape on top of the drawing and returns its id. The model assigns ID, Z,
// EditedBy and Version; the rest of s must be valid.
func (d *Drawing) Add(ctx context.Context, s Shape) (ShapeID, error) {
	ids, err := d.AddAll(ctx, []Shape{s})
	if err != nil {
		return ShapeID{}, err
	}
	return ids[0], nil
}

// AddAll adds shapes on top of the drawing in one undoable step, keeping their relative order
// (by their Z, then as given). It returns the new ids in the order given.
func (d *Drawing) AddAll(ctx context.Context, shapes []Shape) ([]ShapeID, error) {
	in := make([]Shape, len(shapes))
	for i := range shapes {
		in[i] = shapes[i].Clone()
		in[i].EditedBy, in[i].Version, in[i].ID = "", 0, ShapeID{}
		normalize(&in[i])
		if err := in[i].Validate(); err != nil {
			if len(shapes) == 1 {
				return nil, fmt.Errorf("add shape: %w", err)
			}
			return nil, fmt.Errorf("add shape %d: %w", i, err)
		}
	}
	rank := make([]int, len(in))
	for i := range rank {
		rank[i] = i
	}
	slices.SortStableFunc(rank, func(a, b int) int { return cmp.Compare(in[a].Z, in[b].Z) })
	out, err := d.edit(ctx, func() (op, error) {
		top := 0.0
		if len(d.order) > 0 {
			top = math.Floor(d.order[len(d.order)-1].s.Z)
		}
		o := d.newOp()
		o.Items = make([]item, len(in))
		for r, i := range rank {
			s := in[i]
			s.Z = top + float64(r+1)
			rec := toRecord(&s)
			o.Items[i] = item{T: itemAdd, Kind: s.Kind, Shape: &rec, shape: &s}
		}
		return o, nil
	})
	if err != nil {
		return nil, err
	}
	ids := make([]ShapeID, len(out.effects))
	for i, e := range out.effects {
		ids[i] = e.it.ID
	}
	if len(ids) != len(in) {
		return ids, fmt.Errorf("add shapes: only %d of %d were added", len(ids), len(in))
	}
	return ids, nil
}

// Update changes properties of several shapes in one undoable step. Each patched shape must stay
// valid; on any error nothing changes.
func (d *Drawing) Update(ctx context.Context, patches map[ShapeID]Patch) error {
	_, err := d.edit(ctx, func() (op, error) { return d.setOp(patches) })
	return err
}

// setOp builds set items, checking every result first; d.mu held.
func (d *Drawing) setOp(patches map[ShapeID]Patch) (op, error) {
	o := d.newOp()
	for _, id := range slices.SortedFunc(maps.Keys(patches), cmpID) {
		p := patches[id]
		fs := p.props()
		if len(fs) == 0 {
			continue
		}
		e := d.shapes[id]
		if e == nil {
			return op{}, fmt.Errorf("edit shape %s: %w", id, ErrNoShape)
		}
		s := e.s
		base := map[string]uint64{}
		for _, f := range fs {
			base[f] = propHash(&e.s, f)
			applyProp(&s, &p, f)
		}
		if err := s.Validate(); err != nil {
			return op{}, fmt.Errorf("edit shape %s: %w", id, err)
		}
		q := p.only(fs)
		if q.Points != nil {
			q.Points = slices.Clone(q.Points) // the caller may reuse its slice
		}
		o.Items = append(o.Items, item{T: itemSet, ID: id, Kind: s.Kind, Set: toPatchRec(&q), patch: &q, Base: base})
	}
	return o, nil
}

func cmpID(a, b ShapeID) int {
	if c := cmp.Compare(a.Author, b.Author); c != 0 {
		return c
	}
	return cmp.Compare(a.N, b.N)
}

// patchEach builds one patch per live shape in ids with f, then updates them in one step; d.mu
// must not be held.
func (d *Drawing) patchEach(ctx context.Context, ids []ShapeID, f func(s *Shape) (Patch, bool)) error {
	_, err := d.edit(ctx, func() (op, error) {
		ps := map[ShapeID]Patch{}
		for _, id := range ids {
			e := d.shapes[id]
			if e == nil {
				return op{}, fmt.Errorf("edit shape %s: %w", id, ErrNoShape)
			}
			if p, ok := f(&e.s); ok {
				ps[id] = p
			}
		}
		return d.setOp(ps)
	})
	return err
}

// Move translates shapes by (dx, dy) in one undoable step.
func (d *Drawing) Move(ctx context.Context, ids []ShapeID, dx, dy float64) error {
	if dx == 0 && dy == 0 {
		return nil
	}
	return d.patchEach(ctx, ids, func(s *Shape) (Patch, bool) { return Patch{Points: s.Moved(dx, dy)}, true })
}

// Resize maps a shape's Box onto to (see Shape.Resized).
func (d *Drawing) Resize(ctx context.Context, id ShapeID, to Rect) error {
	to = Canon(to.Min, to.Max)
	return d.patchEach(ctx, []ShapeID{id}, func(s *Shape) (Patch, bool) {
		pts, fs := s.Resized(to)
		p := Patch{Points: pts}
		if s.Kind == KindText {
			p.FontSize = &fs
		}
		return p, true
	})
}

// Restyle changes the look of shapes in one undoable step; properties that do not apply to a
// shape's kind are left alone.
func (d *Drawing) Restyle(ctx context.Context, ids []ShapeID, st Style) error {
	return d.patchEach(ctx, ids, func(s *Shape) (Patch, bool) {
		p := Patch{Stroke: st.Stroke}
		if s.Kind != KindText {
			p.Width = st.Width
		}
		if s.Kind == KindRect || s.Kind == KindEllipse || s.Kind == KindText {
			p.Fill = st.Fill
		}
		return p, len(p.props()) > 0
	})
}

// SetText replaces a text shape's text.
func (d *Drawing) SetText(ctx context.Context, id ShapeID, text string) error {
	return d.Update(ctx, map[ShapeID]Patch{id: {Text: &text}})
}

// BringToFront puts shapes above all others, keeping their order among themselves.
func (d *Drawing) BringToFront(ctx context.Context, ids []ShapeID) error {
	return d.restack(ctx, ids, true)
}

// SendToBack puts shapes below all others, keeping their order among themselves.
func (d *Drawing) SendToBack(ctx context.Context, ids []ShapeID) error {
	return d.restack(ctx, ids, false)
}

func (d *Drawing) restack(ctx context.Context, ids []ShapeID, front bool) error {
	_, err := d.edit(ctx, func() (op, error) {
		var es []*entry
		for _, id := range ids {
			e := d.shapes[id]
			if e == nil {
				return op{}, fmt.Errorf("restack shape %s: %w", id, ErrNoShape)
			}
			if !slices.Contains(es, e) {
				es = append(es, e)
			}
		}
		if len(es) == 0 {
			return op{}, nil
		}
		slices.SortFunc(es, func(a, b *entry) int { return zCmp(&a.s, &b.s) })
		ps := map[ShapeID]Patch{}
		for i, e := range es {
			var z float64
			if front {
				z = math.Floor(d.order[len(d.order)-1].s.Z) + float64(i+1)
			} else {
				z = math.Ceil(d.order[0].s.Z) - float64(len(es)-i)
			}
			ps[e.s.ID] = Patch{Z: &z}
		}
		return d.setOp(ps)
	})
	return err
}

// Delete removes shapes in one undoable step. Deleting a shape that is already gone is not an
// error (someone else may have been quicker).
func (d *Drawing) Delete(ctx context.Context, ids []ShapeID) error {
	_, err := d.edit(ctx, func() (op, error) {
		o := d.newOp()
		seen := map[ShapeID]bool{}
		for _, id := range ids {
			e := d.shapes[id]
			if e == nil || seen[id] {
				continue
			}
			seen[id] = true
			o.Items = append(o.Items, item{T: itemDelete, ID: id, Kind: e.s.Kind, Base: map[string]uint64{baseShape: contentHash(&e.s)}})
		}
		return o, nil
	})
	return err
}
