package harness

import (
	"fmt"
	"slices"
	"strings"

	"github.com/detrans/detrans/node"
	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/txn"
)

// OneRing reports whether the statuses describe exactly one ring: every peer joined, and in
// ring_id order each peer's first successor is the next peer and its predecessor the previous
// one. Ring IDs are fixed-width lowercase hex, so string order is ring order.
func OneRing(sts []node.Status) (bool, string) {
	if len(sts) == 0 {
		return false, "no peers"
	}
	sorted := slices.Clone(sts)
	slices.SortFunc(sorted, func(a, b node.Status) int { return strings.Compare(a.RingID, b.RingID) })
	for i, s := range sorted {
		if !s.Joined {
			return false, fmt.Sprintf("%s has not joined", s.PeerID)
		}
		if len(sorted) == 1 {
			break
		}
		next := sorted[(i+1)%len(sorted)].PeerID
		prev := sorted[(i+len(sorted)-1)%len(sorted)].PeerID
		if len(s.Successors) == 0 || s.Successors[0] != next {
			return false, fmt.Sprintf("%s: successors %v, want %s first", s.PeerID, s.Successors, next)
		}
		if s.Predecessor != prev {
			return false, fmt.Sprintf("%s: predecessor %q, want %s", s.PeerID, s.Predecessor, prev)
		}
	}
	return true, ""
}

// NoReferences reports whether no status names a gone peer as predecessor or in its successor
// list: the ring has been repaired around them, not merely routed past them.
func NoReferences(sts []node.Status, gone map[string]bool) (bool, string) {
	for _, s := range sts {
		if gone[s.Predecessor] {
			return false, fmt.Sprintf("%s: predecessor %s is gone", s.PeerID, s.Predecessor)
		}
		for _, p := range s.Successors {
			if gone[p] {
				return false, fmt.Sprintf("%s: successor list %v still holds gone peer %s", s.PeerID, s.Successors, p)
			}
		}
	}
	return true, ""
}

// OwnerOf is the peer that owns key in a ring of the given peers: the first peer at or after the
// key's ring position (ring.HashKey), wrapping around.
func OwnerOf(sts []node.Status, key string) (string, error) {
	if len(sts) == 0 {
		return "", fmt.Errorf("no peers")
	}
	k := ring.HashKey([]byte(key))
	ids := make([]ring.ID, len(sts))
	for i, s := range sts {
		id, err := ring.ParseID(s.RingID)
		if err != nil {
			return "", fmt.Errorf("peer %s: %w", s.PeerID, err)
		}
		ids[i] = id
	}
	order := make([]int, len(sts))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return ids[a].Cmp(ids[b]) })
	for _, i := range order {
		if ids[i].Cmp(k) >= 0 {
			return sts[i].PeerID, nil
		}
	}
	return sts[order[0]].PeerID, nil
}

// GroupSlots is the replica slots (peer IDs) of key's group in the views the statuses report:
// the newest (highest epoch) of them. A peer dropped from a group that never installed the view
// without it still reports its last one, so the first view found can be stale. Statuses should
// be settled (node.GroupsFollowRing) for the answer to be the ring-given one.
func GroupSlots(sts []node.Status, key string) ([]string, error) {
	if len(sts) == 0 {
		return nil, fmt.Errorf("no peers")
	}
	pl := txn.Placement{Groups: sts[0].Placement.Groups, Replicas: sts[0].Placement.Replicas}
	if err := pl.Validate(); err != nil {
		return nil, err
	}
	g := pl.GroupOf([]byte(key))
	if slots, ok := NewestViews(sts)[g]; ok {
		return slots, nil
	}
	return nil, fmt.Errorf("no peer holds group %d of key %q", g, key)
}

// NewestViews maps every group some status reports to the slots of its newest view.
func NewestViews(sts []node.Status) map[int][]string {
	newest := map[int]node.GroupStatus{}
	for _, s := range sts {
		for _, gs := range s.Groups {
			if cur, ok := newest[gs.Group]; !ok || gs.Epoch > cur.Epoch {
				newest[gs.Group] = gs
			}
		}
	}
	out := make(map[int][]string, len(newest))
	for g, gs := range newest {
		out[g] = gs.Slots
	}
	return out
}
