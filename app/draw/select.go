package draw

import "slices"

// The selection is this user's, local to the open drawing (never stored): the set of live shapes
// the next edit applies to. Shapes that disappear (deleted here or by others) leave it, with an
// event whose Selection flag is set.

// Select replaces the selection with the live shapes among ids.
func (d *Drawing) Select(ids ...ShapeID) {
	d.mu.Lock()
	next := map[ShapeID]bool{}
	for _, id := range ids {
		if d.shapes[id] != nil {
			next[id] = true
		}
	}
	d.setSelLocked(next)
}

// Toggle adds a live shape to the selection, or removes it if it was selected.
func (d *Drawing) Toggle(id ShapeID) {
	d.mu.Lock()
	next := make(map[ShapeID]bool, len(d.sel)+1)
	for k := range d.sel {
		next[k] = true
	}
	if next[id] {
		delete(next, id)
	} else if d.shapes[id] != nil {
		next[id] = true
	}
	d.setSelLocked(next)
}

// SelectAll selects every live shape.
func (d *Drawing) SelectAll() {
	d.mu.Lock()
	next := make(map[ShapeID]bool, len(d.shapes))
	for id := range d.shapes {
		next[id] = true
	}
	d.setSelLocked(next)
}

// IsSelected reports whether id is selected.
func (d *Drawing) IsSelected(id ShapeID) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sel[id]
}

// Selected returns the selection bottom to top.
func (d *Drawing) Selected() []ShapeID {
	d.mu.Lock()
	defer d.mu.Unlock()
	var es []*entry
	for id := range d.sel {
		es = append(es, d.shapes[id])
	}
	slices.SortFunc(es, func(a, b *entry) int { return zCmp(&a.s, &b.s) })
	out := make([]ShapeID, len(es))
	for i, e := range es {
		out[i] = e.s.ID
	}
	return out
}

// SelectionBox is the union of the selected shapes' boxes (where the UI draws resize handles).
func (d *Drawing) SelectionBox() (Rect, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var r Rect
	ok := false
	for id := range d.sel {
		b := d.shapes[id].s.Box()
		if !ok {
			r, ok = b, true
		} else {
			r = r.Union(b)
		}
	}
	return r, ok
}

// setSelLocked installs a new selection and emits an event if it differs; releases d.mu.
func (d *Drawing) setSelLocked(next map[ShapeID]bool) {
	same := len(next) == len(d.sel)
	for id := range next {
		same = same && d.sel[id]
	}
	if same {
		d.mu.Unlock()
		return
	}
	d.sel = next
	d.emitLocked(Event{Selection: true})
}
