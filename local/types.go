package local

// Write sets one key; a nil Value deletes it.
type Write struct {
	Key   string
	Value []byte
}

// Intent is an application operation plus its effect: Op is kept (opaque) so the app can
// re-derive the writes on conflict; Writes are what the local view shows meanwhile.
type Intent struct {
	Kind   string
	Op     []byte
	Reads  []string
	Writes []Write
}

// Value is a key in the local view. Version is the key's last committed version known here
// (0 if it never committed); it does not move while a local intent is pending on the key.
type Value struct {
	Data    []byte // nil: absent
	Version uint64
}

// Rebaser re-derives an intent after a conflict; fresh holds the committed value of every key the
// intent reads or writes. A nil Rebased.Intent drops the intent.
type Rebaser func(in Intent, fresh map[string]Value) Rebased

// Rebased is a Rebaser's verdict.
type Rebased struct {
	Intent *Intent
	Notice string // non-empty when the outcome differs from what the user saw
}

// Change names a key whose local-view value changed for a reason other than the user's own Local.
type Change struct {
	Key    string
	Notice string
}

// Status is the sync state a UI shows.
type Status struct {
	Online  bool // the last attempt to reach the store got a quorum
	Pending int  // intents in the outbox
	Merged  int  // rebases that changed the outcome
	Dropped int  // intents a rebase (or a missing rule) dropped
}
