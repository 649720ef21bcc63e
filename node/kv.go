package node

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/txn"
)

// The store API. Every call blocks until the replicas answer, ctx ends or the node closes.
// Reads are linearizable quorum reads; Txn commits atomically over all its keys, serializably
// with every other committed transaction, and retries by itself when it loses a race.

var (
	// ErrConflict: a transaction kept losing races until ctx ended or the retries ran out.
	ErrConflict = txn.ErrConflict
	// ErrNoQuorum: no majority of a key's replica group answered (offline, the minority side
	// of a partition, or too many of the group's peers down). Nothing was changed, unless the
	// error also matches ErrUnknownOutcome.
	ErrNoQuorum = txn.ErrNoQuorum
	// ErrUnknownOutcome: a commit was sent but its outcome could not be learnt; it may still
	// have committed. It also matches ErrNoQuorum.
	ErrUnknownOutcome = txn.ErrUnknownOutcome
)

// Item is a key's committed state.
type Item struct {
	Value   []byte
	Version uint64 // 0: never written
	Found   bool   // false for a key never written or deleted
}

// Get reads key's latest committed value.
func (n *Node) Get(ctx context.Context, key []byte) (Item, error) {
	ev, err := n.request(ctx, func(now ring.Time) uint64 { n.counters.reads.Add(1); return n.p.Read(now, key) })
	if err != nil {
		return Item{}, fmt.Errorf("get %q: %w", key, err)
	}
	return Item{Value: ev.Value, Version: ev.Version, Found: ev.Found}, nil
}

// Put sets key to value (a transaction of one key).
func (n *Node) Put(ctx context.Context, key, value []byte) error {
	return n.Txn(ctx, func(tx *Tx) error { tx.Put(key, value); return nil })
}

// Delete removes key (a transaction of one key).
func (n *Node) Delete(ctx context.Context, key []byte) error {
	return n.Txn(ctx, func(tx *Tx) error { tx.Delete(key); return nil })
}

// Tx is one attempt of a transaction: reads record versions, writes are buffered until commit.
type Tx struct {
	n      *Node
	ctx    context.Context
	reads  map[string]uint64
	writes map[string]txn.Op
	order  []string
	quorum bool // reads ask a quorum: a retry, whose conflict a lagging local replica may have caused
}

// Get reads key in the transaction. A key the transaction wrote reads as written. The first
// attempt reads from this node's own replica of the key when it holds one that is serving (no
// message, no wait; it may lag a commit it has not heard of yet), else it reads a quorum; the
// commit checks every version read at a majority of the key's replicas, so a lagging read
// only costs a retry, and retries read quorums.
func (tx *Tx) Get(key []byte) (Item, error) {
	if w, ok := tx.writes[string(key)]; ok {
		return Item{Value: w.Value, Found: !w.Delete}, nil
	}
	it, err := tx.read(key)
	if err != nil {
		return Item{}, err
	}
	if _, ok := tx.reads[string(key)]; !ok {
		tx.order = append(tx.order, string(key))
	}
	tx.reads[string(key)] = it.Version
	return it, nil
}

// read reads key's committed state as Get describes, without recording it.
func (tx *Tx) read(key []byte) (Item, error) {
	var local func(now ring.Time) (txn.Event, bool)
	if !tx.quorum {
		local = func(now ring.Time) (txn.Event, bool) { return tx.n.p.Txn.ReadLocal(now, key) }
	}
	ev, err := tx.n.requestOr(tx.ctx, local, func(now ring.Time) uint64 { tx.n.counters.reads.Add(1); return tx.n.p.Read(now, key) })
	if err != nil {
		return Item{}, fmt.Errorf("get %q: %w", key, err)
	}
	return Item{Value: ev.Value, Version: ev.Version, Found: ev.Found}, nil
}

// Put buffers a write of key.
func (tx *Tx) Put(key, value []byte) {
	tx.write(txn.Op{Key: key, Write: true, Value: value})
}

// Delete buffers a delete of key.
func (tx *Tx) Delete(key []byte) {
	tx.write(txn.Op{Key: key, Write: true, Delete: true})
}

func (tx *Tx) write(op txn.Op) {
	k := string(op.Key)
	if _, ok := tx.writes[k]; !ok {
		if _, read := tx.reads[k]; !read {
			tx.order = append(tx.order, k)
		}
	}
	tx.writes[k] = op
}

const maxAttempts = 64

// Txn runs fn and commits what it did; on a conflict it runs fn again with fresh quorum reads, backing
// off at random, until it commits, fn fails, ctx ends or maxAttempts pass. fn must not keep
// side effects of an attempt that did not commit.
func (n *Node) Txn(ctx context.Context, fn func(tx *Tx) error) error {
	backoff := time.Millisecond
	var err error
	for attempt := 0; attempt < maxAttempts; attempt++ {
		err = n.attempt(ctx, fn, attempt > 0)
		if !errors.Is(err, ErrConflict) {
			return err
		}
		wait := time.Duration(rand.Int64N(int64(backoff))) + backoff/2
		backoff = min(2*backoff, 200*time.Millisecond)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("transaction: %w (after %d attempts: %w)", ctx.Err(), attempt+1, err)
		case <-t.C:
		}
	}
	return fmt.Errorf("transaction: gave up after %d attempts: %w", maxAttempts, err)
}

func (n *Node) attempt(ctx context.Context, fn func(tx *Tx) error, quorum bool) error {
	tx := &Tx{n: n, ctx: ctx, reads: map[string]uint64{}, writes: map[string]txn.Op{}, quorum: quorum}
	if err := fn(tx); err != nil {
		return err
	}
	var spec txn.TxSpec
	for _, k := range tx.order {
		op, written := tx.writes[k]
		ver, read := tx.reads[k]
		if !read {
			// A blind write still needs the version it replaces.
			it, err := tx.read([]byte(k))
			if err != nil {
				return err
			}
			ver = it.Version
		}
		if !written {
			op = txn.Op{Key: []byte(k)}
		}
		op.ReadVersion = ver
		spec.Ops = append(spec.Ops, op)
	}
	if len(spec.Ops) == 0 {
		return nil
	}
	return n.Commit(ctx, spec)
}

// Commit commits one prepared transaction spec (no retry).
func (n *Node) Commit(ctx context.Context, spec txn.TxSpec) error {
	_, err := n.request(ctx, func(now ring.Time) uint64 { return n.p.Commit(now, spec) })
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// request starts a store operation in the loop and waits for its event.
func (n *Node) request(ctx context.Context, start func(now ring.Time) uint64) (txn.Event, error) {
	return n.requestOr(ctx, nil, start)
}

// requestOr is request, answered at once in the loop by local when it can.
func (n *Node) requestOr(ctx context.Context, local func(now ring.Time) (txn.Event, bool), start func(now ring.Time) uint64) (txn.Event, error) {
	ch := make(chan txn.Event, 1)
	var id uint64
	if err := n.do(ctx, func(now ring.Time) {
		if local != nil {
			if ev, ok := local(now); ok {
				n.counters.localReads.Add(1)
				ch <- ev
				return
			}
		}
		id = start(now)
		n.ops[id] = ch
	}); err != nil {
		return txn.Event{}, err
	}
	select {
	case ev := <-ch:
		return ev, ev.Err
	case <-ctx.Done():
		_ = n.do(context.Background(), func(ring.Time) { delete(n.ops, id) })
		return txn.Event{}, ctx.Err()
	}
}

func (n *Node) handleTxnEvent(ev txn.Event) {
	if ev.Kind == txn.EvChange {
		n.deliverChange(ev)
		return
	}
	if ev.Kind != txn.EvReadDone && ev.Kind != txn.EvCommitDone {
		return
	}
	if ch, ok := n.ops[ev.ReqID]; ok {
		delete(n.ops, ev.ReqID)
		ch <- ev
	}
}

// failOps ends every waiting store request with err (the node is stopping).
func (n *Node) failOps(err error) {
	for id, ch := range n.ops {
		ch <- txn.Event{ReqID: id, Err: err}
		delete(n.ops, id)
	}
}
