package node

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/detrans/detrans/local"
	"github.com/detrans/detrans/store"
)

// intake is Local's fast path. A user's edit must not wait for the event loop, which may be in
// the middle of a burst of protocol messages: Local writes the intent as an intake record
// (package local's "lo-i-" records, no fsync — the same durability the outbox entry had) and
// queues it, from the caller's goroutine; the loop folds queued intents into the local layer
// before anything else it does for the app, so a View or Scan made after Local returns sees the
// edit. The fold deletes the record in the batch that writes the outbox entry. Records left by
// a crash are queued again at start, in order.
type intake struct {
	mu     sync.Mutex
	closed bool
	next   uint64
	queue  []intakeRec
	sig    chan struct{} // wakes the loop; capacity 1
}

type intakeRec struct {
	seq uint64
	in  local.Intent
}

// restore queues the intake records a previous run left in st and continues their numbering.
func (q *intake) restore(ctx context.Context, st *store.Store) error {
	return st.MetaRange(ctx, local.IntakePrefix, func(name string, b []byte) error {
		seq, err := strconv.ParseUint(strings.TrimPrefix(name, local.IntakePrefix), 10, 64)
		if err != nil {
			return fmt.Errorf("intake record %s: bad sequence number: %w", name, err)
		}
		in, err := local.DecodeIntake(b)
		if err != nil {
			return fmt.Errorf("intake record %s: %w", name, err)
		}
		q.queue = append(q.queue, intakeRec{seq: seq, in: in})
		q.next = max(q.next, seq+1)
		return nil
	})
}

// add records in and queues it for the loop. Records are written and queued in one critical
// section, so the queue is in sequence order.
func (q *intake) add(ctx context.Context, st *store.Store, in local.Intent) error {
	if err := local.Validate(in); err != nil {
		return err
	}
	rec, err := local.EncodeIntake(in)
	if err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return errClosed
	}
	seq := q.next
	var b store.Batch
	b.PutMeta(local.IntakeName(seq), rec)
	if err := st.ApplyNoSync(ctx, &b); err != nil {
		return fmt.Errorf("record the edit: %w", err)
	}
	q.next++
	// The loop folds in its own time: the intent is copied so the caller may reuse its buffers.
	q.queue = append(q.queue, intakeRec{seq: seq, in: local.CloneIntent(in)})
	select {
	case q.sig <- struct{}{}:
	default:
	}
	return nil
}

// take hands the queued records to the loop.
func (q *intake) take() []intakeRec {
	q.mu.Lock()
	defer q.mu.Unlock()
	recs := q.queue
	q.queue = nil
	return recs
}

// close refuses further adds; after it returns no add touches the store.
func (q *intake) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
}

// foldIntake applies the queued intents to the local layer, in order, and replaces their intake
// records by outbox entries in one write. Loop goroutine only.
func (n *Node) foldIntake() {
	recs := n.intake.take()
	if len(recs) == 0 {
		return
	}
	var all store.Batch
	for _, r := range recs {
		b, err := n.p.LocalEdit(n.now(), r.in)
		if err != nil {
			// Validated before it was recorded: only a newer rule could refuse it. The record
			// goes so that it does not fail every start; the user is told in the log.
			n.log.Error("recorded edit refused by the local layer; dropped", "seq", r.seq, "err", err)
		} else if b != nil {
			all.Merge(b)
		}
		all.DeleteMeta(local.IntakeName(r.seq))
	}
	if err := n.store.ApplyNoSync(n.ctx, &all); err != nil {
		n.storeFailed(err)
		return
	}
	select {
	case n.syncReq <- struct{}{}: // on disk within an fsync, not only with the next commit
	default:
	}
}
