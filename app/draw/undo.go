package draw

import (
	"context"
	"errors"
)

// MaxUndo bounds the undo history (and the redo history) of one open drawing.
const MaxUndo = 500

// ErrNothingToUndo is returned by Undo on an empty history.
var ErrNothingToUndo = errors.New("nothing to undo")

// ErrNothingToRedo is returned by Redo on an empty history.
var ErrNothingToRedo = errors.New("nothing to redo")

// step is one undoable action, stored as the guarded items that revert it. Guarded means an undo
// never overwrites someone else's later work: a property (or a whole shape, for undoing an add)
// that changed since I left it is skipped, with a notice.
type step struct{ items []item }

// inverse builds the step that reverts an outcome.
func inverse(out outcome) step {
	var st step
	for i := len(out.effects) - 1; i >= 0; i-- {
		e := out.effects[i]
		id := e.it.ID
		switch e.it.T {
		case itemAdd, itemRestore:
			s := e.after.shape
			st.items = append(st.items, item{T: itemDelete, ID: id, Kind: s.Kind, Guard: true,
				Base: map[string]uint64{baseShape: contentHash(s)}})
		case itemSet:
			fs := e.it.patch.props()
			old := patchOf(e.before.shape, fs)
			base := map[string]uint64{}
			for _, f := range fs {
				base[f] = propHash(e.after.shape, f)
			}
			st.items = append(st.items, item{T: itemSet, ID: id, Kind: e.after.shape.Kind, Guard: true,
				Set: toPatchRec(&old), patch: &old, Base: base})
		case itemDelete:
			if e.before.shape == nil {
				continue
			}
			s := e.before.shape.Clone()
			rec := toRecord(&s)
			st.items = append(st.items, item{T: itemRestore, ID: id, Kind: s.Kind, Shape: &rec, shape: &s})
		}
	}
	return st
}

// remember makes a new action undoable and forgets the redo history; d.mu held.
func (d *Drawing) remember(out outcome) {
	if len(out.effects) == 0 {
		return
	}
	d.undo = push(d.undo, inverse(out))
	d.redo = nil
}

func push(h []step, s step) []step {
	h = append(h, s)
	if len(h) > MaxUndo {
		h = append(h[:0:0], h[len(h)-MaxUndo:]...)
	}
	return h
}

// CanUndo reports whether Undo has a step to revert.
func (d *Drawing) CanUndo() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.undo) > 0
}

// CanRedo reports whether Redo has a step to re-apply.
func (d *Drawing) CanRedo() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.redo) > 0
}

// Undo reverts my most recent action still in the history, as a new edit (others see it as my
// edit; it never rewrites history). Only my own actions are in the history. Parts of the action
// that someone else changed since are left alone and reported in the returned notices; a step
// consumed that way is gone even if nothing could be reverted.
func (d *Drawing) Undo(ctx context.Context) (notices []string, err error) {
	return d.travel(ctx, &d.undo, &d.redo, ErrNothingToUndo)
}

// Redo re-applies the most recently undone action, under the same rules as Undo. Any new action
// clears the redo history.
func (d *Drawing) Redo(ctx context.Context) (notices []string, err error) {
	return d.travel(ctx, &d.redo, &d.undo, ErrNothingToRedo)
}

func (d *Drawing) travel(ctx context.Context, from, to *[]step, empty error) ([]string, error) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil, ErrClosed
	}
	if len(*from) == 0 {
		d.mu.Unlock()
		return nil, empty
	}
	st := (*from)[len(*from)-1]
	o := d.newOp()
	o.Items = append([]item(nil), st.items...)
	d.number(&o)
	var ev Event
	out, err := d.commit(ctx, &o, &ev)
	if err != nil {
		d.mu.Unlock()
		return nil, err // the step stays: the user can try again
	}
	*from = (*from)[:len(*from)-1]
	if len(out.effects) > 0 {
		*to = push(*to, inverse(out))
	}
	notices := ev.Notices
	d.emitLocked(ev)
	return notices, nil
}
