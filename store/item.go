package store

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// TxID names a transaction across the cluster.
type TxID [16]byte

// IsZero reports whether id is the zero TxID.
func (id TxID) IsZero() bool { return id == TxID{} }

// Lock is a transaction's claim on a replica between its prepare vote and the decision.
// A write lock carries the value to install if the transaction commits.
type Lock struct {
	Tx         TxID
	Write      bool   // write lock (exclusive); otherwise a read lock
	NewValue   []byte // value to install on commit (write locks)
	NewDeleted bool   // the write deletes the key
	Target     uint64 // version the item will have if the transaction commits
	Meta       []byte // opaque to this package: what the protocol needs to resolve the lock
	Adopted    bool   // taken over from another replica (state transfer), not granted here
}

// Held reports whether the lock is taken.
func (l Lock) Held() bool { return !l.Tx.IsZero() }

// Item is one replica of one key as stored on this peer.
type Item struct {
	Value   []byte
	Version uint64 // 0: never written; each committed write increments it
	Deleted bool   // tombstone: the key was deleted at Version
	Seq     uint64 // this replica's change counter when the committed state last changed (change feeds)
	Lock    Lock
}

const (
	itemFormat = 1
	maxField   = 16 << 20 // values are bounded by the protocol; anything larger is corruption
	flagDelete = 1 << 0
	flagLock   = 1 << 1
	flagWrite  = 1 << 2
	flagNewDel = 1 << 3
	flagExt    = 1 << 4 // lock carries Target and Meta
	flagSeq    = 1 << 5 // a change sequence number follows the value
	flagAdopt  = 1 << 6 // the lock was adopted (Lock.Adopted); records written before it lack the bit
)

// ErrCorrupt marks a stored record that does not decode.
var ErrCorrupt = errors.New("store: corrupt record")

func encodeItem(it Item) []byte {
	b := make([]byte, 0, 32+len(it.Value)+len(it.Lock.NewValue))
	b = append(b, itemFormat)
	var flags byte
	if it.Deleted {
		flags |= flagDelete
	}
	if it.Lock.Held() {
		flags |= flagLock
		if it.Lock.Write {
			flags |= flagWrite
		}
		if it.Lock.NewDeleted {
			flags |= flagNewDel
		}
		if it.Lock.Adopted {
			flags |= flagAdopt
		}
		if it.Lock.Target != 0 || len(it.Lock.Meta) > 0 {
			flags |= flagExt
		}
	}
	if it.Seq != 0 {
		flags |= flagSeq
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, it.Version)
	b = binary.AppendUvarint(b, uint64(len(it.Value)))
	b = append(b, it.Value...)
	if it.Seq != 0 {
		b = binary.AppendUvarint(b, it.Seq)
	}
	if it.Lock.Held() {
		b = append(b, it.Lock.Tx[:]...)
		b = binary.AppendUvarint(b, uint64(len(it.Lock.NewValue)))
		b = append(b, it.Lock.NewValue...)
		if flags&flagExt != 0 {
			b = binary.AppendUvarint(b, it.Lock.Target)
			b = binary.AppendUvarint(b, uint64(len(it.Lock.Meta)))
			b = append(b, it.Lock.Meta...)
		}
	}
	return b
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", ErrCorrupt, what)
	}
}

func (r *reader) byte(what string) byte {
	if r.err != nil || len(r.b) < 1 {
		r.fail("truncated " + what)
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("bad varint in " + what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes(n uint64, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n > maxField || n > uint64(len(r.b)) {
		r.fail(fmt.Sprintf("%s length %d exceeds record", what, n))
		return nil
	}
	if n == 0 {
		return nil
	}
	v := append([]byte(nil), r.b[:n]...)
	r.b = r.b[n:]
	return v
}

func decodeItem(b []byte) (Item, error) {
	r := reader{b: b}
	if f := r.byte("format"); r.err == nil && f != itemFormat {
		return Item{}, fmt.Errorf("%w: unknown item format %d", ErrCorrupt, f)
	}
	flags := r.byte("flags")
	var it Item
	it.Deleted = flags&flagDelete != 0
	it.Version = r.uvarint("version")
	it.Value = r.bytes(r.uvarint("value length"), "value")
	if flags&flagSeq != 0 {
		it.Seq = r.uvarint("change sequence")
	}
	if flags&flagLock != 0 {
		copy(it.Lock.Tx[:], r.bytes(16, "lock tx"))
		it.Lock.Write = flags&flagWrite != 0
		it.Lock.NewDeleted = flags&flagNewDel != 0
		it.Lock.Adopted = flags&flagAdopt != 0
		it.Lock.NewValue = r.bytes(r.uvarint("lock value length"), "lock value")
		if flags&flagExt != 0 {
			it.Lock.Target = r.uvarint("lock target")
			it.Lock.Meta = r.bytes(r.uvarint("lock meta length"), "lock meta")
		}
		if r.err == nil && it.Lock.Tx.IsZero() {
			r.fail("lock flag set with zero transaction id")
		}
	}
	if r.err == nil && len(r.b) != 0 {
		r.fail(fmt.Sprintf("%d trailing bytes", len(r.b)))
	}
	if r.err != nil {
		return Item{}, r.err
	}
	return it, nil
}
