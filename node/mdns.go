package node

import (
	"context"
	"fmt"
	"time"

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
		ctx, cancel := context.WithTimeout(n.ctx, mdnsConnectTries*dialTimeout)
		defer cancel()
		if err := n.connectFound(ctx, ai); err != nil {
			n.log.Info("mdns: cannot connect to found peer", "found", shortPeer(ai.ID.String()), "err", err)
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

// mdnsConnectTries is how often a peer found on the LAN is dialled before we give up on it until
// it is found again: an announcement may come while the peer (or this one) is too busy to
// complete a handshake within dialTimeout, and the next one can be long in coming.
const mdnsConnectTries = 3

func (n *Node) connectFound(ctx context.Context, ai peer.AddrInfo) error {
	var err error
	for try := range mdnsConnectTries {
		if try > 0 {
			t := time.NewTimer(time.Duration(try) * time.Second)
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("%w (after %d tries: %w)", ctx.Err(), try, err)
			case <-t.C:
			}
		}
		dctx, cancel := context.WithTimeout(ctx, dialTimeout)
		err = n.host.Connect(dctx, ai)
		cancel()
		if err == nil {
			return nil
		}
	}
	return fmt.Errorf("%d tries: %w", mdnsConnectTries, err)
}
