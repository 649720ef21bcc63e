package node

import (
	"context"
	"slices"

	"github.com/detrans/detrans/ring"
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
}

// Status returns the current view. After Close it reports the view at shutdown.
func (n *Node) Status() Status {
	var st ring.State
	if err := n.do(context.Background(), func(ring.Time) { st = n.p.State() }); err != nil {
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
	}
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
