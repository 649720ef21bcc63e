package draw

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// MaxTitle is the longest drawing name, in characters.
const MaxTitle = 200

// maxAuthorForIDs keeps "<author>-<counter>" drawing ids within validName's 128 characters.
const maxAuthorForIDs = 100

// Info describes one drawing in the list.
type Info struct {
	ID      string // stable; what Open takes
	Name    string // display name; anyone can rename
	Creator string
}

// Library is the list of drawings in the space: one key per drawing (draw/list/<id>), so creating
// or renaming one never conflicts with work on another. A drawing's id is its creator's name and
// that creator's drawing counter, so two peers creating drawings at once never collide.
type Library struct {
	store Store
	me    string
	mu    sync.Mutex // serialises Create's counter
}

// NewLibrary returns the drawings list as seen by author me, and registers this package's merge
// rules with s.
func NewLibrary(s Store, me string) (*Library, error) {
	if err := validName(me); err != nil {
		return nil, fmt.Errorf("drawings: author %q %w", me, err)
	}
	if len(me) > maxAuthorForIDs {
		return nil, fmt.Errorf("drawings: author name is %d characters, at most %d", len(me), maxAuthorForIDs)
	}
	Register(s)
	return &Library{store: s, me: me}, nil
}

func dseqKey(author string) string { return dseqPrefix + author }

// validTitle checks a drawing's display name.
func validTitle(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("must not be empty")
	}
	if !utf8.ValidString(s) {
		return errors.New("not valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > MaxTitle {
		return fmt.Errorf("%d characters, at most %d", n, MaxTitle)
	}
	if i := strings.IndexFunc(s, unicode.IsControl); i >= 0 {
		return fmt.Errorf("control character at byte %d", i)
	}
	return nil
}

// List returns the drawings in the local view, by name.
func (l *Library) List(ctx context.Context) ([]Info, error) {
	kvs, err := l.store.Scan(ctx, listPrefix)
	if err != nil {
		return nil, fmt.Errorf("list drawings: %w", err)
	}
	out := make([]Info, 0, len(kvs))
	for _, kv := range kvs {
		id := strings.TrimPrefix(kv.Key, listPrefix)
		m, err := decodeMeta(kv.Data)
		if err != nil || validName(id) != nil {
			continue // a bad record from another peer must not hide the others
		}
		out = append(out, Info{ID: id, Name: m.Name, Creator: m.Creator})
	}
	slices.SortFunc(out, func(a, b Info) int {
		if c := cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// Create adds a drawing named name and returns it; it is usable (Open) at once, and reaches the
// others when the store commits it.
func (l *Library) Create(ctx context.Context, name string) (Info, error) {
	name = strings.TrimSpace(name)
	if err := validTitle(name); err != nil {
		return Info{}, fmt.Errorf("create drawing: name %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	sv, err := l.store.Get(ctx, dseqKey(l.me))
	if err != nil {
		return Info{}, fmt.Errorf("create drawing: %w", err)
	}
	n := decodeSeq(sv)
	var id string
	for {
		n++
		id = l.me + "-" + strconv.FormatUint(n, 10)
		v, err := l.store.Get(ctx, listKey(id))
		if err != nil {
			return Info{}, fmt.Errorf("create drawing: %w", err)
		}
		if !v.Exists() {
			break
		}
	}
	o := listOp{V: opVersion, T: "create", By: l.me, ID: id, Name: name, Seq: n}
	if err := l.submit(ctx, &o); err != nil {
		return Info{}, fmt.Errorf("create drawing: %w", err)
	}
	return Info{ID: id, Name: name, Creator: l.me}, nil
}

// Rename gives drawing id a new name. Concurrent renames: the last to commit wins, and its author
// is told whose name it replaced.
func (l *Library) Rename(ctx context.Context, id, name string) error {
	name = strings.TrimSpace(name)
	if err := validTitle(name); err != nil {
		return fmt.Errorf("rename drawing: name %w", err)
	}
	v, err := l.store.Get(ctx, listKey(id))
	if err != nil {
		return fmt.Errorf("rename drawing %s: %w", id, err)
	}
	if !v.Exists() {
		return fmt.Errorf("rename drawing %s: %w", id, ErrNoDrawing)
	}
	m, err := decodeMeta(v.Data)
	if err != nil {
		return fmt.Errorf("rename drawing %s: stored metadata: %w", id, err)
	}
	if m.Name == name {
		return nil
	}
	o := listOp{V: opVersion, T: "rename", By: l.me, ID: id, Name: name, Base: titleHash(m.Name)}
	if err := l.submit(ctx, &o); err != nil {
		return fmt.Errorf("rename drawing %s: %w", id, err)
	}
	return nil
}

// Open opens drawing id for editing as this library's author.
func (l *Library) Open(ctx context.Context, id string) (*Drawing, error) {
	return Open(ctx, l.store, id, l.me)
}

// Watch calls fn when the list changes for a reason other than this peer's own calls (others'
// creates and renames, or a rename of ours that lost); notice is set when the user should hear
// why. Re-read List. Like Drawing.Subscribe, fn runs on a store goroutine.
func (l *Library) Watch(fn func(notice string)) (cancel func()) {
	return l.store.Watch(listPrefix, func(c Change) { fn(c.Notice) })
}

func (l *Library) submit(ctx context.Context, o *listOp) error {
	writes, notice := o.apply(func(k string) (Value, bool) {
		v, err := l.store.Get(ctx, k)
		return v, err == nil
	})
	if len(writes) == 0 {
		return errors.New(notice)
	}
	return l.store.Local(ctx, Intent{Kind: IntentList, Op: encodeListOp(o), Writes: writes})
}

func titleHash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// listOp is a create or rename queued as an intent.
type listOp struct {
	V    int    `json:"v"`
	T    string `json:"t"` // create, rename
	By   string `json:"by"`
	ID   string `json:"id"`
	Name string `json:"name"`
	Base uint64 `json:"base,omitempty"` // rename: hash of the name the renamer saw
	Seq  uint64 `json:"seq,omitempty"`  // create: the creator's drawing counter
}

// apply derives the writes from the state get reads (the local view, or fresh committed values).
func (o *listOp) apply(get func(string) (Value, bool)) (writes []Write, notice string) {
	v, ok := get(listKey(o.ID))
	if !ok {
		return nil, fmt.Sprintf("drawing %s: its current state could not be read", o.ID)
	}
	switch o.T {
	case "create":
		if v.Exists() {
			return nil, fmt.Sprintf("your new drawing %q could not be created: id %s is taken", o.Name, o.ID)
		}
		writes = append(writes, Write{Key: listKey(o.ID), Value: encodeMeta(meta{Name: o.Name, Creator: o.By})})
		if sv, ok := get(dseqKey(o.By)); ok && decodeSeq(sv) < o.Seq {
			writes = append(writes, Write{Key: dseqKey(o.By), Value: encodeSeq(o.Seq)})
		}
	case "rename":
		if !v.Exists() {
			return nil, fmt.Sprintf("your rename to %q was dropped: drawing %s no longer exists", o.Name, o.ID)
		}
		m, err := decodeMeta(v.Data)
		if err != nil {
			return nil, fmt.Sprintf("your rename to %q was dropped: drawing %s has unreadable metadata", o.Name, o.ID)
		}
		if titleHash(m.Name) != o.Base && m.RenamedBy != o.By {
			notice = fmt.Sprintf("your rename to %q replaced %s's concurrent rename to %q", o.Name, who(m.RenamedBy), m.Name)
		}
		m.Name, m.RenamedBy = o.Name, o.By
		writes = append(writes, Write{Key: listKey(o.ID), Value: encodeMeta(m)})
	default:
		return nil, fmt.Sprintf("a drawings-list edit of unknown type %q was dropped", o.T)
	}
	return writes, notice
}

// rebaseList is the Rebaser for IntentList.
func rebaseList(in Intent, fresh map[string]Value) Rebased {
	var o listOp
	if err := json.Unmarshal(in.Op, &o); err != nil || o.V != opVersion || validName(o.ID) != nil || validTitle(o.Name) != nil {
		return Rebased{Notice: "a queued drawings-list edit could not be read and was dropped"}
	}
	writes, notice := o.apply(func(k string) (Value, bool) { v, ok := fresh[k]; return v, ok })
	if len(writes) == 0 {
		return Rebased{Notice: notice}
	}
	return Rebased{Intent: &Intent{Kind: IntentList, Op: in.Op, Writes: writes}, Notice: notice}
}

func encodeListOp(o *listOp) []byte {
	b, _ := json.Marshal(o) // strings and integers only
	return b
}

func encodeMeta(m meta) []byte {
	b, _ := json.Marshal(m) // strings only
	return b
}
