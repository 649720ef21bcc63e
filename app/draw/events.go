package draw

import (
	"maps"
	"slices"
)

// Event tells observers what changed in a Drawing. It names shapes rather than carrying them:
// read the current state with Shape (absent means removed since). Events are hints for repainting
// and carry Rev; two events from different goroutines may arrive in either order, the state they
// point at is always current.
type Event struct {
	Rev     uint64
	Added   []ShapeID
	Changed []ShapeID
	Removed []ShapeID
	// Dirty is the drawing-space area to repaint: old and new bounds of every shape that changed.
	// HasDirty is false when no shape changed (a notice, a rename, the selection).
	Dirty    Rect
	HasDirty bool
	// Selection is set when the selection changed (also when a selected shape was removed).
	Selection bool
	Renamed   bool
	// Remote is set for changes that did not come from this model's own calls: other peers'
	// commits, and rebased or dropped edits of ours.
	Remote bool
	// Notices are messages for the user: merges that changed an edit's outcome, dropped edits.
	Notices []string
}

func (ev *Event) dirty(r Rect) {
	if !ev.HasDirty {
		ev.Dirty, ev.HasDirty = r, true
		return
	}
	ev.Dirty = ev.Dirty.Union(r)
}

func (ev *Event) empty() bool {
	return len(ev.Added)+len(ev.Changed)+len(ev.Removed)+len(ev.Notices) == 0 && !ev.Selection && !ev.Renamed
}

// Subscribe calls fn after every change of the model. fn runs on the goroutine that caused the
// change (the caller's for its own edits, a store goroutine for remote changes), never with the
// model's lock held, so it may call the model; a UI toolkit that paints on one thread must hand the
// event over (fyne.Do). cancel stops further calls.
func (d *Drawing) Subscribe(fn func(Event)) (cancel func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.nsub++
	n := d.nsub
	d.subs[n] = fn
	return func() {
		d.mu.Lock()
		delete(d.subs, n)
		d.mu.Unlock()
	}
}

// emitLocked numbers ev, releases d.mu and delivers ev. Called with d.mu held; returns without it.
func (d *Drawing) emitLocked(ev Event) {
	if ev.empty() {
		d.mu.Unlock()
		return
	}
	d.rev++
	ev.Rev = d.rev
	fns := make([]func(Event), 0, len(d.subs))
	for _, n := range slices.Sorted(maps.Keys(d.subs)) {
		fns = append(fns, d.subs[n])
	}
	d.mu.Unlock()
	for _, fn := range fns {
		fn(ev)
	}
}
