package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/detrans/detrans/node"
)

// nodePeer is a running *node.Node as the admin API sees it.
type nodePeer struct {
	*node.Node
	allowFault bool
}

var _ peerAPI = nodePeer{}

func (p nodePeer) FaultInjectionAllowed() bool { return p.allowFault }

// Increment is the read-modify-write transaction of bench: read the counter, write it plus one.
func (p nodePeer) Increment(ctx context.Context, key []byte) (int, error) {
	attempts := 0
	err := p.Txn(ctx, func(tx *node.Tx) error {
		attempts++
		it, err := tx.Get(key)
		if err != nil {
			return err
		}
		v, err := parseCounter(it.Value, it.Found)
		if err != nil {
			return fmt.Errorf("increment %q: %w", key, err)
		}
		tx.Put(key, strconv.AppendUint(nil, v+1, 10))
		return nil
	})
	return attempts, err
}

// parseCounter reads a decimal counter; a key without a value counts as 0.
func parseCounter(b []byte, found bool) (uint64, error) {
	if !found || len(b) == 0 {
		return 0, nil
	}
	v, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("not a decimal counter: %q", b)
	}
	return v, nil
}
