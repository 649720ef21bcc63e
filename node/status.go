package node

import (
	"context"
	"fmt"
	"slices"

	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/txn"
)

// Status is a snapshot of one peer for status output and external checks. The JSON field names
// are a stable contract used by `detrans-node status --json` and the integration tests.
type Status struct {
	PeerID         string   `json:"peer_id"`
	Addrs          []string `json:"addrs"`           // dialable multiaddrs ending in /p2p/ID
	RingID         string   `json:"ring_id"`         // 32 hex digits
	Incarnation    uint64   `json:"incarnation"`     // bumped on every start of this data dir
	Joined         bool     `json:"joined"`          // part of a ring
	Predecessor    string   `json:"predecessor"`     // peer ID, "" if none
	Successors     []string `json:"successors"`      // peer IDs, nearest first
	Predecessors   []string `json:"predecessors"`    // peer IDs, nearest first
	Fingers        int      `json:"fingers"`         // distinct finger entries
	Passive        int      `json:"passive"`         // size of the passive list
	Suspected      []string `json:"suspected"`       // peer IDs currently suspected
	ConnectedPeers []string `json:"connected_peers"` // peer IDs with an open connection, sorted
	// Placement and Groups describe the replica groups this peer serves, so tools can check
	// from outside that every group's view follows the ring (see GroupsFollowRing).
	Placement PlacementStatus `json:"placement"`
	Groups    []GroupStatus   `json:"groups"` // groups whose installed view has this peer, by group
}

// PlacementStatus is the store's replica layout: Groups groups of Replicas slots each.
type PlacementStatus struct {
	Groups   int `json:"groups"`
	Replicas int `json:"replicas"`
}

// GroupStatus is one installed replica-group view.
type GroupStatus struct {
	Group int      `json:"group"`
	Epoch uint64   `json:"epoch"`
	Ready bool     `json:"ready"` // state transfer done: the peer serves reads and votes
	Slots []string `json:"slots"` // peer IDs, slot order (a peer may hold several in small rings)
}

// Status returns the current view. After Close it reports the view at shutdown.
func (n *Node) Status() Status {
	var st ring.State
	var groups []GroupStatus
	pl := n.p.Txn.Placement()
	if err := n.do(context.Background(), func(ring.Time) {
		st = n.p.State()
		groups = groupsOf(n.p.Txn, n.self.Addr)
	}); err != nil {
		n.finalMu.Lock()
		if n.finalState != nil {
			st = *n.finalState
		}
		n.finalMu.Unlock()
	}
	var conns []string
	for _, p := range n.host.Network().Peers() {
		conns = append(conns, p.String())
	}
	slices.Sort(conns)
	return Status{
		PeerID:         n.PeerID(),
		Addrs:          n.Addrs(),
		RingID:         n.self.ID.String(),
		Incarnation:    n.self.Inc,
		Joined:         st.Joined,
		Predecessor:    st.Pred.Addr,
		Successors:     addrsOf(st.Succs),
		Predecessors:   addrsOf(st.Preds),
		Fingers:        st.Fingers,
		Passive:        len(st.Passive),
		Suspected:      addrsOf(st.Suspected),
		ConnectedPeers: nonNil(conns),
		Placement:      PlacementStatus{Groups: pl.Groups, Replicas: pl.Replicas},
		Groups:         nonNilGroups(groups),
	}
}

func groupsOf(m *txn.Machine, self string) []GroupStatus {
	var out []GroupStatus
	for g := range m.Placement().Groups {
		v, ready := m.Installed(g)
		if !v.Has(self) {
			continue
		}
		out = append(out, GroupStatus{Group: g, Epoch: v.Epoch, Ready: ready, Slots: addrsOf(v.Slots)})
	}
	return out
}

func nonNilGroups(g []GroupStatus) []GroupStatus {
	if g == nil {
		return []GroupStatus{}
	}
	return g
}

// GroupsFollowRing checks a set of statuses that together form one ring: every group's
// ring-given members (by placement over the peers' ring ids) have that view installed and ready,
// slot for slot. It returns a reason when they do not yet.
func GroupsFollowRing(sts []Status) (bool, string) {
	if len(sts) == 0 {
		return false, "no status"
	}
	refs := make([]ring.NodeRef, 0, len(sts))
	byPeer := map[string]map[int]GroupStatus{}
	for _, s := range sts {
		id, err := ring.ParseID(s.RingID)
		if err != nil {
			return false, fmt.Sprintf("%s: ring id: %v", s.PeerID, err)
		}
		refs = append(refs, ring.NodeRef{ID: id, Addr: s.PeerID})
		m := map[int]GroupStatus{}
		for _, g := range s.Groups {
			m[g.Group] = g
		}
		byPeer[s.PeerID] = m
	}
	pl := txn.Placement{Groups: sts[0].Placement.Groups, Replicas: sts[0].Placement.Replicas}
	if err := pl.Validate(); err != nil {
		return false, err.Error()
	}
	for g := range pl.Groups {
		want := pl.Slots(g, refs)
		for _, w := range want {
			got, ok := byPeer[w.Addr][g]
			switch {
			case !ok:
				return false, fmt.Sprintf("group %d: %s has no view", g, w.Addr)
			case !got.Ready:
				return false, fmt.Sprintf("group %d: %s not ready (epoch %d)", g, w.Addr, got.Epoch)
			case len(got.Slots) != len(want):
				return false, fmt.Sprintf("group %d: %s has %d slots, want %d", g, w.Addr, len(got.Slots), len(want))
			}
			for i := range want {
				if got.Slots[i] != want[i].Addr {
					return false, fmt.Sprintf("group %d: %s has slot %d = %s, want %s", g, w.Addr, i, got.Slots[i], want[i].Addr)
				}
			}
		}
	}
	return true, ""
}

func addrsOf(refs []ring.NodeRef) []string {
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		out = append(out, r.Addr)
	}
	return out
}

// nonNil keeps JSON output as [] rather than null, which is friendlier to scripts.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
