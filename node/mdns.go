package node

import (
	"context"

	"github.com/detrans/detrans/ring"
	"github.com/libp2p/go-libp2p/core/peer"
)

// mdnsNotifee connects to peers found on the LAN. A node that has not started joining yet joins
// through the first found peer with a lower peer ID; the lowest peer on the LAN founds the ring
// when its grace period ends. That order keeps nodes started together from forming many rings.
type mdnsNotifee struct{ n *Node }

func (m mdnsNotifee) HandlePeerFound(ai peer.AddrInfo) {
	n := m.n
	if ai.ID == n.host.ID() {
		return
	}
	select {
	case <-n.ctx.Done():
		return
	default:
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		ctx, cancel := context.WithTimeout(n.ctx, dialTimeout)
		defer cancel()
		if err := n.host.Connect(ctx, ai); err != nil {
			n.log.Debug("mdns: cannot connect to found peer", "found", ai.ID, "err", err)
			return
		}
		n.log.Info("mdns: connected to LAN peer", "found", shortPeer(ai.ID.String()))
		n.nearbyMu.Lock()
		n.nearby[ai.ID.String()] = true
		n.nearbyMu.Unlock()
		_ = n.do(ctx, func(now ring.Time) {
			if n.bootstrapped {
				n.p.Part.Detect(now, refFor(ai.ID)) // maybe another ring: merge it with ours
			} else if ai.ID.String() < n.self.Addr {
				n.bootstrapLocked([]ring.NodeRef{refFor(ai.ID)})
			}
		})
	}()
}
