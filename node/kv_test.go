package node

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// startSpace starts count peers on loopback: the first founds a space, the others join it.
func startSpace(t *testing.T, count int) []*Node {
	t.Helper()
	cfg := testConfig(t)
	cfg.Found = true
	first := startNode(t, cfg)
	nodes := []*Node{first}
	for range count - 1 {
		cfg := testConfig(t)
		cfg.Bootstrap = first.Addrs()
		nodes = append(nodes, startNode(t, cfg))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, n := range nodes {
		require.NoError(t, n.WaitJoined(ctx))
	}
	return nodes
}

func TestPutGetAcrossPeers(t *testing.T) {
	nodes := startSpace(t, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// Replica groups move from the founder to their ring-given members; status shows when.
	waitSettled(t, nodes)
	for i := range 40 {
		k := []byte(fmt.Sprint("key-", i))
		require.NoError(t, nodes[i%4].Put(ctx, k, []byte(fmt.Sprint("value-", i))))
	}
	for i := range 40 {
		k := []byte(fmt.Sprint("key-", i))
		for _, n := range nodes {
			it, err := n.Get(ctx, k)
			require.NoError(t, err)
			require.True(t, it.Found)
			require.Equal(t, fmt.Sprint("value-", i), string(it.Value))
		}
	}
	require.NoError(t, nodes[1].Delete(ctx, []byte("key-3")))
	it, err := nodes[2].Get(ctx, []byte("key-3"))
	require.NoError(t, err)
	require.False(t, it.Found)
}

// TestConcurrentTransfersConserveTheTotal: bank transfers between accounts from every peer at
// once; the total never changes and every account read in one transaction adds up.
func TestConcurrentTransfersConserveTheTotal(t *testing.T) {
	nodes := startSpace(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	const accounts, start = 5, 100
	acct := func(i int) []byte { return []byte(fmt.Sprint("acct-", i)) }
	require.NoError(t, nodes[0].Txn(ctx, func(tx *Tx) error {
		for i := range accounts {
			tx.Put(acct(i), []byte(fmt.Sprint(start)))
		}
		return nil
	}))
	var wg sync.WaitGroup
	errs := make(chan error, len(nodes))
	for w, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 15 {
				from, to := (w+i)%accounts, (w+2*i+1)%accounts
				if from == to {
					continue
				}
				err := n.Txn(ctx, func(tx *Tx) error {
					a, err := tx.Get(acct(from))
					if err != nil {
						return err
					}
					b, err := tx.Get(acct(to))
					if err != nil {
						return err
					}
					var x, y int
					fmt.Sscan(string(a.Value), &x)
					fmt.Sscan(string(b.Value), &y)
					tx.Put(acct(from), []byte(fmt.Sprint(x-7)))
					tx.Put(acct(to), []byte(fmt.Sprint(y+7)))
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	total := 0
	require.NoError(t, nodes[1].Txn(ctx, func(tx *Tx) error {
		total = 0
		for i := range accounts {
			it, err := tx.Get(acct(i))
			if err != nil {
				return err
			}
			var v int
			fmt.Sscan(string(it.Value), &v)
			total += v
		}
		return nil
	}))
	require.Equal(t, accounts*start, total)
}

func TestAloneFounderServesAndJoinerWithoutSpaceGetsNoQuorum(t *testing.T) {
	cfg := testConfig(t)
	cfg.Found = true
	a := startNode(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, a.Put(ctx, []byte("k"), []byte("v")))
	it, err := a.Get(ctx, []byte("k"))
	require.NoError(t, err)
	require.Equal(t, "v", string(it.Value))

	// A peer that neither founded nor joined a space has no replica views: no quorum, fast.
	b := startNode(t, testConfig(t))
	short, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	_, err = b.Get(short, []byte("k"))
	require.Error(t, err)
	require.True(t, errors.Is(err, ErrNoQuorum), "%v", err)
}
