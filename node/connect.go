package node

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/detrans/detrans/ring"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
)

// Connect dials peers of the space (multiaddrs ending in /p2p/ID) and makes sure their ring and
// ours become one: a peer that restarted alone, or was offline, calls it with the peers it knew.
// It succeeds if at least one peer answers; the merge itself continues in the background.
func (n *Node) Connect(ctx context.Context, addrs ...string) error {
	var infos []peer.AddrInfo
	for _, a := range addrs {
		ai, err := parseBootstrap(a)
		if err != nil {
			return fmt.Errorf("connect: %w", err)
		}
		if ai.ID != n.host.ID() {
			infos = append(infos, *ai)
		}
	}
	if len(infos) == 0 {
		return errors.New("connect: no peer address other than our own")
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ok []peer.ID
	var errs []error
	for _, ai := range infos {
		n.host.Peerstore().AddAddrs(ai.ID, ai.Addrs, peerstore.TempAddrTTL)
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, dialTimeout)
			defer cancel()
			err := n.host.Connect(cctx, ai)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", ai.ID, err))
				return
			}
			ok = append(ok, ai.ID)
		}()
	}
	wg.Wait()
	if len(ok) == 0 {
		return fmt.Errorf("connect: no peer reachable: %w", errors.Join(errs...))
	}
	return n.do(ctx, func(now ring.Time) {
		for _, p := range ok {
			n.p.Part.Detect(now, refFor(p))
		}
	})
}

// Nearby lists the peers found on the local network by mDNS, sorted.
func (n *Node) Nearby() []string {
	n.nearbyMu.Lock()
	defer n.nearbyMu.Unlock()
	out := make([]string, 0, len(n.nearby))
	for p := range n.nearby {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// KnownAddrs returns dialable addresses (ending in /p2p/ID) of the peers this one is connected
// to: what an app saves to reconnect after a restart, or puts in an invite.
func (n *Node) KnownAddrs() []string {
	var out []string
	for _, p := range n.host.Network().Peers() {
		ai := peer.AddrInfo{ID: p, Addrs: n.host.Peerstore().Addrs(p)}
		addrs, err := peer.AddrInfoToP2pAddrs(&ai)
		if err != nil {
			continue
		}
		for _, a := range addrs {
			out = append(out, a.String())
		}
	}
	slices.Sort(out)
	return out
}
