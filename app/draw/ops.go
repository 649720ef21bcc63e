package draw

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Intent kinds this package registers with the Store.
const (
	IntentShapes = "draw.shapes" // shape edits inside one drawing
	IntentList   = "draw.list"   // the drawings list: create, rename
)

// opVersion is the version of the queued-operation encoding; intents outlive the process.
const opVersion = 1

type itemType string

const (
	itemAdd     itemType = "add"     // create a shape under a fresh id
	itemSet     itemType = "set"     // change some properties of a live shape
	itemDelete  itemType = "del"     // replace a live shape by its deleter's tombstone
	itemRestore itemType = "restore" // bring back a shape its restorer deleted (undo of a delete)
)

// baseShape is the Base entry holding a whole shape's content hash (del and guarded del).
const baseShape = "shape"

// op is one user action on one drawing, queued as an intent. It keeps what the user meant, not
// just the bytes written, so apply can re-derive the writes from fresh state after a conflict.
type op struct {
	V       int       `json:"v"`
	Drawing string    `json:"d"`
	By      string    `json:"by"`
	Items   []item    `json:"items"`
	Purge   []ShapeID `json:"purge,omitempty"` // the author's own oldest tombstones to forget
	Seq     uint64    `json:"seq,omitempty"`   // the author's counter after this op (0: unchanged)
}

type item struct {
	T     itemType          `json:"t"`
	ID    ShapeID           `json:"id"`
	Kind  Kind              `json:"k,omitempty"`     // for notices: "the rect alice/3"
	Shape *record           `json:"shape,omitempty"` // add, restore
	Set   *patchRec         `json:"set,omitempty"`
	Base  map[string]uint64 `json:"base,omitempty"` // hashes of what the editor saw (set: per property; del: baseShape)
	Guard bool              `json:"guard,omitempty"`
	Tomb  uint64            `json:"tomb,omitempty"` // del: the tombstone's seq; 0: leave no tombstone

	shape *Shape // decoded Shape / Set, when the item was built in this process
	patch *Patch
}

func (it *item) decodeShape() (Shape, error) {
	if it.shape != nil {
		return it.shape.Clone(), nil
	}
	if it.Shape == nil {
		return Shape{}, fmt.Errorf("no shape")
	}
	return it.Shape.shape(it.ID)
}

func (it *item) decodePatch() (Patch, error) {
	if it.patch != nil {
		return *it.patch, nil
	}
	if it.Set == nil {
		return Patch{}, fmt.Errorf("no properties")
	}
	return it.Set.patch()
}

// opState is what an op is applied to: the model's local state, or fresh committed values.
// ok is false when the state of a key is not known; items on it are skipped.
type opState interface {
	shape(id ShapeID) (stored, bool)
	seq(author string) (uint64, bool)
}

// effect is one item that took effect.
type effect struct {
	it            item // as it took effect (set: only the properties that changed)
	before, after stored
}

// outcome is an op applied to a state: what to queue, what to write, what the user should hear.
type outcome struct {
	op      op
	writes  []Write
	effects []effect
	purged  []ShapeID
	notices []string
}

func (out *outcome) write(key string, v []byte) {
	for i := range out.writes {
		if out.writes[i].Key == key {
			out.writes[i].Value = v
			return
		}
	}
	out.writes = append(out.writes, Write{Key: key, Value: v})
}

// apply derives the op's writes from st. It is the single place the rebase rules live: the model
// calls it against its local state when the user acts, and the Rebaser calls it again against
// fresh committed state when the intent conflicts, so both always agree.
func (o *op) apply(st opState) outcome {
	out := outcome{op: op{V: o.V, Drawing: o.Drawing, By: o.By}}
	mine := map[ShapeID]stored{} // this op's own earlier effects
	cur := func(id ShapeID) (stored, bool) {
		if s, ok := mine[id]; ok {
			return s, true
		}
		return st.shape(id)
	}
	for _, it := range o.Items {
		before, ok := cur(it.ID)
		if !ok {
			out.notices = append(out.notices, fmt.Sprintf("an edit of %s was skipped: its current state could not be read", describe(it.Kind, it.ID)))
			continue
		}
		after, eff, note := o.applyItem(it, before)
		if note != "" {
			out.notices = append(out.notices, note)
		}
		if eff == nil {
			continue
		}
		mine[it.ID] = after
		out.op.Items = append(out.op.Items, *eff)
		out.effects = append(out.effects, effect{it: *eff, before: before, after: after})
		out.write(shapeKey(o.Drawing, it.ID), encodeStored(after))
	}
	for _, id := range o.Purge {
		// Only the deleter forgets its tombstones, so tombstones never race each other.
		before, ok := cur(id)
		if !ok || before.tomb == nil || before.tomb.By != o.By {
			continue
		}
		mine[id] = stored{}
		out.op.Purge = append(out.op.Purge, id)
		out.purged = append(out.purged, id)
		out.write(shapeKey(o.Drawing, id), nil)
	}
	if o.Seq > 0 {
		if n, ok := st.seq(o.By); ok && n < o.Seq {
			out.op.Seq = o.Seq
			out.write(seqKey(o.Drawing, o.By), encodeSeq(o.Seq))
		}
	}
	return out
}

// applyItem is one item's rule. eff is nil when the item has no effect.
func (o *op) applyItem(it item, before stored) (after stored, eff *item, note string) {
	what := describe(it.Kind, it.ID)
	switch it.T {
	case itemAdd:
		s, err := it.decodeShape()
		if err != nil {
			return stored{}, nil, fmt.Sprintf("a new shape %s was unreadable and dropped: %v", it.ID, err)
		}
		if before.shape != nil || before.tomb != nil {
			return stored{}, nil, fmt.Sprintf("your new %s could not be added: id %s is already taken", s.Kind, it.ID)
		}
		s.EditedBy = o.By
		return stored{shape: &s}, &it, ""

	case itemSet:
		if before.shape == nil {
			return stored{}, nil, fmt.Sprintf("your change to %s was dropped: %s", what, goneBy(before))
		}
		p, err := it.decodePatch()
		if err != nil {
			return stored{}, nil, fmt.Sprintf("a change to %s was unreadable and dropped: %v", what, err)
		}
		s := *before.shape
		var done, skipped, overrode []string
		for _, f := range p.props() {
			if propHash(before.shape, f) != it.Base[f] {
				// Someone changed this property after the editor saw it.
				if it.Guard {
					skipped = append(skipped, f)
					continue
				}
				if before.shape.EditedBy != o.By {
					overrode = append(overrode, f)
				}
			}
			applyProp(&s, &p, f)
			done = append(done, f)
		}
		var notes []string
		if len(skipped) > 0 {
			notes = append(notes, fmt.Sprintf("undo left the %s of %s alone: %s changed it since", propWords(skipped), what, other(before.shape.EditedBy, o.By)))
		}
		if len(overrode) > 0 {
			notes = append(notes, fmt.Sprintf("your %s of %s replaced a concurrent change by %s", propWords(overrode), what, who(before.shape.EditedBy)))
		}
		note = strings.Join(notes, "; ")
		if len(done) == 0 {
			return stored{}, nil, note
		}
		s.EditedBy = o.By
		if err := s.Validate(); err != nil {
			return stored{}, nil, fmt.Sprintf("your change to %s was dropped: %v", what, err)
		}
		e := it
		q := p.only(done)
		e.patch, e.Set = &q, toPatchRec(&q)
		e.Base = map[string]uint64{}
		for _, f := range done {
			e.Base[f] = it.Base[f]
		}
		return stored{shape: &s}, &e, note

	case itemDelete:
		if before.shape == nil {
			return stored{}, nil, "" // already gone, as the user wanted
		}
		if contentHash(before.shape) != it.Base[baseShape] {
			if it.Guard {
				return stored{}, nil, fmt.Sprintf("undo did not remove %s: %s changed it since", what, other(before.shape.EditedBy, o.By))
			}
			if before.shape.EditedBy != o.By {
				note = fmt.Sprintf("you deleted %s, which %s had just changed (undo brings back your version)", what, who(before.shape.EditedBy))
			}
		}
		if it.Tomb == 0 {
			return stored{}, &it, note
		}
		return stored{tomb: &tombstone{By: o.By, Seq: it.Tomb}}, &it, note

	case itemRestore:
		if before.shape != nil {
			return stored{}, nil, ""
		}
		if before.tomb != nil && before.tomb.By != o.By {
			return stored{}, nil, fmt.Sprintf("%s was not brought back: %s", what, goneBy(before))
		}
		s, err := it.decodeShape()
		if err != nil {
			return stored{}, nil, fmt.Sprintf("a restored shape %s was unreadable and dropped: %v", it.ID, err)
		}
		s.EditedBy = o.By
		return stored{shape: &s}, &it, ""
	}
	return stored{}, nil, fmt.Sprintf("an edit of unknown type %q was dropped", it.T)
}

func encodeStored(s stored) []byte {
	switch {
	case s.shape != nil:
		return encodeShape(s.shape)
	case s.tomb != nil:
		return encodeTomb(*s.tomb)
	}
	return nil
}

func describe(k Kind, id ShapeID) string {
	if k == "" {
		return "shape " + id.String()
	}
	return "the " + string(k) + " " + id.String()
}

func who(peer string) string {
	if peer == "" {
		return "someone"
	}
	return peer
}

// other names who changed a shape the undoer finds changed: the last editor, unless that is the
// undoer itself (its own later undo), in which case someone else came before.
func other(editedBy, me string) string {
	if editedBy == me {
		return "someone else"
	}
	return who(editedBy)
}

func goneBy(s stored) string {
	if s.tomb != nil {
		return who(s.tomb.By) + " deleted it"
	}
	return "it was deleted"
}

var propWord = map[string]string{
	propPoints: "position/shape", propStroke: "colour", propWidth: "line width", propFill: "fill",
	propZ: "stacking order", propText: "text", propSize: "font size",
}

func propWords(fs []string) string {
	ws := make([]string, len(fs))
	for i, f := range fs {
		ws[i] = propWord[f]
	}
	return strings.Join(ws, ", ")
}

// freshState reads an op's keys from the committed values a Rebaser receives.
type freshState struct {
	drawing string
	fresh   map[string]Value
}

func (f freshState) shape(id ShapeID) (stored, bool) {
	v, ok := f.fresh[shapeKey(f.drawing, id)]
	if !ok {
		return stored{}, false
	}
	s, err := decodeStored(id, v)
	if err != nil {
		return stored{}, false
	}
	return s, true
}

func (f freshState) seq(author string) (uint64, bool) {
	v, ok := f.fresh[seqKey(f.drawing, author)]
	if !ok {
		return 0, false
	}
	return decodeSeq(v), true
}

// rebaseShapes is the Rebaser for IntentShapes: the same rules as the local edit, applied to the
// committed values. A nil intent (nothing left to write) drops the edit.
func rebaseShapes(in Intent, fresh map[string]Value) Rebased {
	o, err := decodeOp(in.Op)
	if err != nil {
		return Rebased{Notice: fmt.Sprintf("a queued drawing edit was dropped: %v", err)}
	}
	out := o.apply(freshState{o.Drawing, fresh})
	notice := strings.Join(out.notices, "; ")
	if len(out.writes) == 0 {
		return Rebased{Notice: notice}
	}
	return Rebased{Intent: &Intent{Kind: IntentShapes, Op: encodeOp(&out.op), Writes: out.writes}, Notice: notice}
}

func decodeOp(b []byte) (op, error) {
	var o op
	if err := json.Unmarshal(b, &o); err != nil {
		return op{}, fmt.Errorf("unreadable: %w", err)
	}
	if o.V != opVersion {
		return op{}, fmt.Errorf("encoding version %d, this program knows %d", o.V, opVersion)
	}
	if err := validName(o.Drawing); err != nil {
		return op{}, fmt.Errorf("drawing id: %w", err)
	}
	if err := validName(o.By); err != nil {
		return op{}, fmt.Errorf("author: %w", err)
	}
	return o, nil
}

func encodeOp(o *op) []byte {
	b, err := json.Marshal(o)
	if err != nil {
		panic(fmt.Sprintf("draw: encoding an op: %v", err)) // only validated, finite values get here
	}
	return b
}

// Register installs this package's merge rules in s. Call it at start-up, before the outbox
// drains: queued intents outlive the process that made them. NewLibrary and Open call it too.
func Register(s Store) {
	s.Register(IntentShapes, rebaseShapes)
	s.Register(IntentList, rebaseList)
}
