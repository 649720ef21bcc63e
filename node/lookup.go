package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/detrans/detrans/ring"
)

// LookupResult is the owner of a key as found by the ring.
type LookupResult struct {
	Key         ring.ID // ring position of the key (ring.HashKey of the key bytes)
	Owner       string  // peer ID of the owner
	OwnerRingID ring.ID
	Hops        int
}

var errLookupTimeout = errors.New("lookup timed out in the ring")

type lookupReply struct {
	res LookupResult
	err error
}

// Lookup finds the peer that owns key. It blocks until the ring answers, the ring gives up
// (Ring.LookupTimeout), ctx ends, or the node closes.
func (n *Node) Lookup(ctx context.Context, key []byte) (LookupResult, error) {
	k := ring.HashKey(key)
	ch := make(chan lookupReply, 1)
	var id uint64
	if err := n.do(ctx, func(now ring.Time) {
		id = n.p.Lookup(now, k)
		n.lookups[id] = ch
	}); err != nil {
		return LookupResult{}, fmt.Errorf("lookup %s: %w", k.Short(), err)
	}
	select {
	case rep := <-ch:
		if rep.err != nil {
			return LookupResult{}, fmt.Errorf("lookup %s: %w", k.Short(), rep.err)
		}
		return rep.res, nil
	case <-ctx.Done():
		_ = n.do(context.Background(), func(ring.Time) { delete(n.lookups, id) })
		return LookupResult{}, fmt.Errorf("lookup %s: %w", k.Short(), ctx.Err())
	}
}
