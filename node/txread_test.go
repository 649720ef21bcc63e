package node

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/detrans/detrans/ring"
	"github.com/stretchr/testify/require"
)

// TestTxnReadsItsOwnReplicaFirstAndQuorumsOnRetry: with three peers every peer holds a replica
// of every key, so a transaction's first attempt reads with no quorum read at all. When that
// attempt conflicts (here: another peer commits the key in between), the retry reads a quorum:
// a replica that lagged for good must not make every attempt conflict.
func TestTxnReadsItsOwnReplicaFirstAndQuorumsOnRetry(t *testing.T) {
	nodes := startSpace(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	waitSettled(t, nodes)
	key := []byte("counter")
	require.NoError(t, nodes[0].Put(ctx, key, []byte("0")))

	increment := func(tx *Tx) (int, error) {
		it, err := tx.Get(key)
		if err != nil {
			return 0, err
		}
		v, err := strconv.Atoi(string(it.Value))
		if err != nil {
			return 0, err
		}
		tx.Put(key, []byte(strconv.Itoa(v+1)))
		return v, nil
	}

	// The peer may not have heard of the Put's decision yet (a local read that lags conflicts
	// and retries, which the counters below would show as a quorum read), and it reads locally
	// only while it hears from its group: a quorum read answers both. Wait until it has.
	eventually(t, 10*time.Second, "the put applied at nodes[1]", func() (bool, string) {
		if _, err := nodes[1].Get(ctx, key); err != nil {
			return false, err.Error()
		}
		var got string
		_ = nodes[1].do(ctx, func(now ring.Time) {
			if ev, ok := nodes[1].p.Txn.ReadLocal(now, key); ok {
				got = string(ev.Value)
			}
		})
		return got == "0", "local value " + strconv.Quote(got)
	})
	before := nodes[1].Counters()
	require.NoError(t, nodes[1].Txn(ctx, func(tx *Tx) error { _, err := increment(tx); return err }))
	d := nodes[1].Counters().Sub(before)
	require.Equal(t, uint64(1), d.LocalReads, "the read came from the own replica")
	require.Zero(t, d.Reads, "no quorum read")

	before = nodes[1].Counters()
	attempts := 0
	var seen []int
	require.NoError(t, nodes[1].Txn(ctx, func(tx *Tx) error {
		attempts++
		v, err := increment(tx)
		seen = append(seen, v)
		if attempts == 1 {
			// Another peer commits the key under this attempt: it must conflict.
			return nodes[2].Put(ctx, key, []byte(strconv.Itoa(v+100)))
		}
		return err
	}))
	d = nodes[1].Counters().Sub(before)
	require.Equal(t, 2, attempts)
	require.Equal(t, []int{1, 101}, seen, "the retry read the other peer's commit")
	require.Equal(t, uint64(1), d.LocalReads, "the first attempt read locally")
	require.Equal(t, uint64(1), d.Reads, "the retry read a quorum")

	it, err := nodes[0].Get(ctx, key)
	require.NoError(t, err)
	require.Equal(t, "102", string(it.Value))
}
