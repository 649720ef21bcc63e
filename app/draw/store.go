package draw

import "context"

// Store is what the drawing model needs from the node: a replicated transactional key/value store
// with optimistic local transactions (DESIGN.md §4–5). The model never talks to the network itself.
//
// The node's own API is not imported here on purpose (app/* sits above node/, and the node must not
// import apps); the app wiring supplies a thin adapter that satisfies this interface.
type Store interface {
	// Local applies in to the local view before returning, queues it durably and commits it in
	// the background. Every key in in.Reads and in.Writes is version-checked at commit against the
	// version the local view held when Local was called; on a mismatch the store calls the Rebaser
	// registered for in.Kind with fresh committed values and retries with its result.
	// Local must not invoke Watch callbacks synchronously: the model holds its lock across Local.
	Local(ctx context.Context, in Intent) error
	// Get reads one key of the local view (committed state with pending intents applied).
	Get(ctx context.Context, key string) (Value, error)
	// Scan reads every live key with the prefix from the local view, in key order.
	Scan(ctx context.Context, prefix string) ([]KV, error)
	// Watch reports keys with the prefix whose local-view value changed for a reason other than
	// the caller's own Local: commits from others arriving, and rebased or dropped local intents.
	// Callbacks run on a store goroutine, one at a time, never while a store lock is held, so they
	// may call Get. cancel stops further callbacks.
	Watch(prefix string, fn func(Change)) (cancel func())
	// Register installs the merge rule for intents of one kind. Apps register at start-up, before
	// the outbox drains, because queued intents outlive the process that made them.
	Register(kind string, r Rebaser)
	// Status is the sync state the UI shows ("N pending", "offline", conflicts merged).
	Status() Status
}

// Intent is an application operation plus its effect: the op is kept (opaque to the store) so the
// app can re-derive the writes on conflict; Writes are what the local view shows meanwhile.
type Intent struct {
	Kind   string   // selects the Rebaser
	Op     []byte   // application-serialised operation
	Reads  []string // keys the op depended on besides the ones it writes
	Writes []Write
}

// Write sets one key; a nil Value deletes it.
type Write struct {
	Key   string
	Value []byte
}

// Value is a key's content in the local view. Version is the key's last committed version (0 if
// it never committed); it does not move while a local intent is pending on the key.
type Value struct {
	Data    []byte // nil: absent
	Version uint64
}

// Exists reports whether the key holds a value.
func (v Value) Exists() bool { return v.Data != nil }

// KV is one Scan result.
type KV struct {
	Key string
	Value
}

// Change names a key whose local-view value changed; read the new value with Get. Notice is set
// when the change comes from a rebase the user should hear about ("your edit was merged/dropped").
type Change struct {
	Key    string
	Notice string
}

// Rebaser re-derives an intent after a conflict. fresh holds the committed value of every key the
// intent reads or writes. A nil Rebased.Intent drops the intent.
type Rebaser func(in Intent, fresh map[string]Value) Rebased

// Rebased is a Rebaser's verdict.
type Rebased struct {
	Intent *Intent
	Notice string // non-empty when the outcome differs from what the user saw
}

// Status is a store's sync state.
type Status struct {
	Online  bool
	Pending int // intents queued, not yet committed
	Merged  int // rebases that changed the outcome (kept with a notice)
	Dropped int // intents a rebase dropped
}
