package local

import (
	"strconv"

	"github.com/detrans/detrans/txn"
)

// Batching: a burst of edits (a drag, a paste, an outbox that filled up offline) would otherwise
// commit one transaction after another, each a few network round trips, and the others would see
// it seconds late. The head of the outbox therefore commits together with the entries after it
// that can go in the same transaction without changing what any of them means: each key is read
// at the version the first entry touching it saw, a later entry may build only on writes inside
// the batch, and the marker records the last sequence number. The transaction is atomic, so each
// entry still commits exactly once and in order; watchers see the batch's final values. A
// conflict retries the entries of the failed batch one by one, so rebases work per intent.

const (
	maxBatchEntries = 128
	maxBatchBytes   = txn.MaxMessageSize / 4
)

// flight is the commit in progress: how many head entries, and the versions its writes get.
type flight struct {
	n    int
	vers map[string]uint64 // key → version after the commit
	last uint64            // Seq of the batch's last entry
}

// nextBatch picks how many head entries commit together and builds their transaction.
func (m *Machine) nextBatch() (flight, txn.TxSpec) {
	base := map[string]uint64{} // key → version the batch reads it at
	final := map[string]Write{} // key → the batch's last write of it
	in := map[uint64]bool{}
	var order []string
	size, n := 0, 0
	for _, e := range m.entries {
		if n == maxBatchEntries || (n > 0 && (e.Stale || m.entries[0].Seq <= m.singleUntil)) {
			break
		}
		if n > 0 && !m.fitsBatch(e, base, final, in) {
			break
		}
		sz := intentSize(e.In)
		if n > 0 && size+sz > maxBatchBytes {
			break
		}
		for _, k := range sortedKeys(e.Deps) {
			if _, ok := base[k]; !ok {
				base[k] = e.Deps[k].Ver
				order = append(order, k)
			}
		}
		for _, w := range e.In.Writes {
			final[w.Key] = w
		}
		in[e.Seq] = true
		size += sz
		n++
	}
	f := flight{n: n, vers: map[string]uint64{}, last: m.entries[n-1].Seq}
	var spec txn.TxSpec
	for _, k := range order {
		op := txn.Op{Key: []byte(k), ReadVersion: base[k]}
		if w, ok := final[k]; ok {
			op.Write, op.Value, op.Delete = true, w.Value, w.Value == nil
			f.vers[k] = base[k] + 1
		}
		spec.Ops = append(spec.Ops, op)
	}
	spec.Ops = append(spec.Ops, txn.Op{Key: []byte(m.markerKey()), ReadVersion: m.markerVer, Write: true, Value: []byte(strconv.FormatUint(f.last, 10))})
	return f, spec
}

// fitsBatch says whether e means the same inside the batch as on its own: every key it builds on
// is either a write of an entry in the batch, or a committed version that the batch reads too
// and does not overwrite before e.
func (m *Machine) fitsBatch(e *entry, base map[string]uint64, final map[string]Write, in map[uint64]bool) bool {
	for k, d := range e.Deps {
		if d.After != 0 {
			if !in[d.After] {
				return false
			}
			continue
		}
		if v, ok := base[k]; ok && v != d.Ver {
			return false
		}
		if _, ok := final[k]; ok {
			return false
		}
	}
	return true
}

func intentSize(in Intent) int {
	n := len(in.Op)
	for _, k := range in.Reads {
		n += len(k)
	}
	for _, w := range in.Writes {
		n += len(w.Key) + len(w.Value)
	}
	return n
}
