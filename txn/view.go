package txn

import (
	"slices"

	"github.com/detrans/detrans/ring"
)

// View is one configuration of a replica group: which node holds each slot, at which epoch.
// Epochs only grow; a view changes only through consensus among a majority of the previous
// view's members (reconfig.go).
type View struct {
	Group int
	Epoch uint64
	Slots []ring.NodeRef // len == Replicas; a node may hold several slots in small rings
}

// Members are the distinct nodes of the view, in slot order.
func (v View) Members() []ring.NodeRef {
	out := make([]ring.NodeRef, 0, len(v.Slots))
	for _, s := range v.Slots {
		if !s.IsZero() && !slices.ContainsFunc(out, func(r ring.NodeRef) bool { return r.Addr == s.Addr }) {
			out = append(out, s)
		}
	}
	return out
}

// Quorum is the number of distinct members that make a majority. It counts them in place: a
// read asks it for every reply.
func (v View) Quorum() int {
	n := 0
	for i, s := range v.Slots {
		if !s.IsZero() && !slices.ContainsFunc(v.Slots[:i], func(r ring.NodeRef) bool { return r.Addr == s.Addr }) {
			n++
		}
	}
	return n/2 + 1
}

// Has reports whether addr is a member.
func (v View) Has(addr string) bool {
	for _, s := range v.Slots {
		if s.Addr == addr {
			return true
		}
	}
	return false
}

// IsZero reports an unknown view.
func (v View) IsZero() bool { return v.Epoch == 0 }

// Clone returns a deep copy.
func (v View) Clone() View {
	v.Slots = slices.Clone(v.Slots)
	return v
}

// Equal compares two views by content.
func (v View) Equal(o View) bool {
	if v.Group != o.Group || v.Epoch != o.Epoch || len(v.Slots) != len(o.Slots) {
		return false
	}
	for i := range v.Slots {
		if v.Slots[i].Addr != o.Slots[i].Addr || v.Slots[i].Inc != o.Slots[i].Inc {
			return false
		}
	}
	return true
}

// SameMembers compares slot assignments by address, ignoring epochs and incarnations.
func (v View) SameMembers(o View) bool {
	if len(v.Slots) != len(o.Slots) {
		return false
	}
	for i := range v.Slots {
		if v.Slots[i].Addr != o.Slots[i].Addr {
			return false
		}
	}
	return true
}
