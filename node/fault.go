package node

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// Fault injection for tests and demos: cut this peer off from chosen peers, as a network
// partition would, and heal. Only a peer started with Config.AllowFaultInjection accepts it.
// A connection gater refuses new connections to and from blocked peers; existing ones are
// closed as well, because a gater only filters new connections.

// ErrFaultInjectionDisabled is returned by Block and Heal on a peer not started with
// Config.AllowFaultInjection.
var ErrFaultInjectionDisabled = errors.New("fault injection is disabled on this peer (start it with AllowFaultInjection)")

type gater struct {
	mu      sync.RWMutex
	blocked map[peer.ID]bool
}

func (g *gater) isBlocked(p peer.ID) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.blocked[p]
}

func (g *gater) InterceptPeerDial(p peer.ID) bool                 { return !g.isBlocked(p) }
func (g *gater) InterceptAddrDial(p peer.ID, _ ma.Multiaddr) bool { return !g.isBlocked(p) }
func (g *gater) InterceptAccept(network.ConnMultiaddrs) bool      { return true }
func (g *gater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) {
	return true, 0
}
func (g *gater) InterceptSecured(_ network.Direction, p peer.ID, _ network.ConnMultiaddrs) bool {
	return !g.isBlocked(p)
}

// Block cuts this peer off from the given peers until Heal.
func (n *Node) Block(peerIDs ...string) error {
	if n.gater == nil {
		return ErrFaultInjectionDisabled
	}
	var ids []peer.ID
	for _, s := range peerIDs {
		p, err := peer.Decode(s)
		if err != nil {
			return fmt.Errorf("block: bad peer ID %q: %w", s, err)
		}
		ids = append(ids, p)
	}
	n.gater.mu.Lock()
	for _, p := range ids {
		n.gater.blocked[p] = true
	}
	n.gater.mu.Unlock()
	for _, p := range ids {
		_ = n.host.Network().ClosePeer(p)
	}
	n.log.Info("fault injection: blocked peers", "peers", len(ids))
	return nil
}

// Heal lifts every block.
func (n *Node) Heal() error {
	if n.gater == nil {
		return ErrFaultInjectionDisabled
	}
	n.gater.mu.Lock()
	clear(n.gater.blocked)
	n.gater.mu.Unlock()
	n.log.Info("fault injection: healed")
	return nil
}

// Blocked lists the blocked peers, sorted.
func (n *Node) Blocked() []string {
	if n.gater == nil {
		return nil
	}
	n.gater.mu.RLock()
	defer n.gater.mu.RUnlock()
	var out []string
	for p := range n.gater.blocked {
		out = append(out, p.String())
	}
	slices.Sort(out)
	return out
}
