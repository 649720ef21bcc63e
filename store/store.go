package store

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	ds "github.com/ipfs/go-datastore"
	"github.com/ipfs/go-datastore/query"
	dssync "github.com/ipfs/go-datastore/sync"
	pebbleds "github.com/ipfs/go-ds-pebble"

	"github.com/detrans/detrans/ring"
)

// Store is one peer's replica storage. Safe for concurrent use (the datastores are).
type Store struct {
	ds ds.Batching
}

const (
	replicaPrefix = "/r/"
	metaPrefix    = "/m/"
)

// memTableSize is pebble's memtable size in steady state (it starts at 256 KiB and doubles up
// to it, so an idle peer does not pay it). A busy peer rewrites the same replicas and acceptor
// records many times a second; a large memtable absorbs the rewrites, so far fewer of them are
// flushed and compacted (with pebble's default of 4 MiB, compactions took about a tenth of a
// peer's CPU under bench load).
const memTableSize = 32 << 20

// Open opens (creating if needed) the persistent store in dir. Apply fsyncs the write-ahead log
// before it returns; ApplyNoSync leaves that to the next Apply.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: create %s: %w", dir, err)
	}
	d, err := pebbleds.NewDatastore(dir, pebbleds.WithPebbleWriteOptions(pebble.NoSync),
		pebbleds.WithPebbleOpts(&pebble.Options{MemTableSize: memTableSize, FS: zeroAheadFS{vfs.Default}}))
	if err != nil {
		return nil, fmt.Errorf("store: open pebble at %s: %w", dir, err)
	}
	return &Store{ds: d}, nil
}

// NewMemory returns a store kept in memory, for tests and the simulator. It survives a simulated
// crash of its node simply because the simulator keeps the value.
func NewMemory() *Store {
	return &Store{ds: dssync.MutexWrap(ds.NewMapDatastore())}
}

// Close releases the backend.
func (s *Store) Close() error { return s.ds.Close() }

func replicaKey(pos ring.ID, key []byte) ds.Key {
	return ds.RawKey(replicaPrefix + pos.String() + "/" + hex.EncodeToString(key))
}

func parseReplicaKey(k string) (ring.ID, []byte, error) {
	rest, ok := strings.CutPrefix(k, replicaPrefix)
	if !ok || len(rest) < 33 || rest[32] != '/' {
		return ring.ID{}, nil, fmt.Errorf("%w: replica key %q", ErrCorrupt, k)
	}
	pos, err := ring.ParseID(rest[:32])
	if err != nil {
		return ring.ID{}, nil, fmt.Errorf("%w: replica key %q: %v", ErrCorrupt, k, err)
	}
	key, err := hex.DecodeString(rest[33:])
	if err != nil {
		return ring.ID{}, nil, fmt.Errorf("%w: replica key %q: %v", ErrCorrupt, k, err)
	}
	return pos, key, nil
}

// Get returns the replica of key stored at ring position pos. A missing replica is the zero Item
// with found == false.
func (s *Store) Get(ctx context.Context, pos ring.ID, key []byte) (it Item, found bool, err error) {
	b, err := s.ds.Get(ctx, replicaKey(pos, key))
	if errors.Is(err, ds.ErrNotFound) {
		return Item{}, false, nil
	}
	if err != nil {
		return Item{}, false, fmt.Errorf("store: get %x@%s: %w", key, pos.Short(), err)
	}
	it, err = decodeItem(b)
	if err != nil {
		return Item{}, false, fmt.Errorf("store: get %x@%s: %w", key, pos.Short(), err)
	}
	return it, true, nil
}

// Meta returns the metadata record name.
func (s *Store) Meta(ctx context.Context, name string) (value []byte, found bool, err error) {
	if err := checkMetaName(name); err != nil {
		return nil, false, err
	}
	b, err := s.ds.Get(ctx, ds.RawKey(metaPrefix+name))
	if errors.Is(err, ds.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: meta %q: %w", name, err)
	}
	return b, true, nil
}

func checkMetaName(name string) error {
	if name == "" || strings.ContainsAny(name, "/\x00") {
		return fmt.Errorf("store: invalid metadata name %q", name)
	}
	return nil
}

// Batch collects writes that Apply makes durable together.
type Batch struct {
	ops []op
	err error
}

type op struct {
	key   ds.Key
	value []byte // nil: delete
}

// Put stores it as the replica of key at pos.
func (b *Batch) Put(pos ring.ID, key []byte, it Item) {
	b.ops = append(b.ops, op{key: replicaKey(pos, key), value: encodeItem(it)})
}

// Delete removes the replica of key at pos (after a range handed over to another peer).
func (b *Batch) Delete(pos ring.ID, key []byte) {
	b.ops = append(b.ops, op{key: replicaKey(pos, key)})
}

// PutMeta stores a metadata record.
func (b *Batch) PutMeta(name string, value []byte) {
	if err := checkMetaName(name); err != nil {
		b.err = err
		return
	}
	if value == nil {
		value = []byte{}
	}
	b.ops = append(b.ops, op{key: ds.RawKey(metaPrefix + name), value: value})
}

// Len is the number of writes in the batch.
func (b *Batch) Len() int { return len(b.ops) }

// Size is the number of key and value bytes the batch writes.
func (b *Batch) Size() int {
	n := 0
	for _, o := range b.ops {
		n += len(o.key.String()) + len(o.value)
	}
	return n
}

// Apply writes the batch atomically and durably: when it returns nil, the batch (and every
// batch written before it) survives a crash of the machine.
func (s *Store) Apply(ctx context.Context, b *Batch) error {
	if err := s.ApplyNoSync(ctx, b); err != nil {
		return err
	}
	if b.Len() == 0 {
		return nil
	}
	if err := s.ds.Sync(ctx, ds.NewKey("/")); err != nil {
		return fmt.Errorf("store: sync: %w", err)
	}
	return nil
}

// Sync makes every write made so far durable.
func (s *Store) Sync(ctx context.Context) error {
	if err := s.ds.Sync(ctx, ds.NewKey("/")); err != nil {
		return fmt.Errorf("store: sync: %w", err)
	}
	return nil
}

// ApplyNoSync writes the batch atomically into the log without waiting for the disk: it
// survives a crash of the process at once, and of the machine once a later Apply returns.
func (s *Store) ApplyNoSync(ctx context.Context, b *Batch) error {
	if b.err != nil {
		return b.err
	}
	if len(b.ops) == 0 {
		return nil
	}
	bt, err := s.ds.Batch(ctx)
	if err != nil {
		return fmt.Errorf("store: begin batch: %w", err)
	}
	for _, o := range b.ops {
		if o.value == nil {
			err = bt.Delete(ctx, o.key)
		} else {
			err = bt.Put(ctx, o.key, o.value)
		}
		if err != nil {
			return fmt.Errorf("store: batch write %s: %w", o.key, err)
		}
	}
	if err := bt.Commit(ctx); err != nil {
		return fmt.Errorf("store: commit batch of %d writes: %w", len(b.ops), err)
	}
	return nil
}

// Range calls fn for every replica whose position lies in the ring interval (from, to], in no
// particular order. It stops at the first error fn returns. A corrupt record is reported as an
// error naming its key.
func (s *Store) Range(ctx context.Context, from, to ring.ID, fn func(pos ring.ID, key []byte, it Item) error) error {
	// go-datastore queries filter by prefix only; the interval check runs here. State transfer is
	// rare and bounded by what one peer holds, so a full scan of the replica prefix is acceptable.
	res, err := s.ds.Query(ctx, query.Query{Prefix: strings.TrimSuffix(replicaPrefix, "/")})
	if err != nil {
		return fmt.Errorf("store: range query: %w", err)
	}
	defer res.Close()
	for e := range res.Next() {
		if e.Error != nil {
			return fmt.Errorf("store: range: %w", e.Error)
		}
		pos, key, err := parseReplicaKey(e.Key)
		if err != nil {
			return err
		}
		if !ring.Between(from, pos, to) {
			continue
		}
		it, err := decodeItem(e.Value)
		if err != nil {
			return fmt.Errorf("store: range at %s: %w", e.Key, err)
		}
		if err := fn(pos, key, it); err != nil {
			return err
		}
	}
	return nil
}

// MetaRange calls fn for every metadata record whose name starts with prefix, in name order.
func (s *Store) MetaRange(ctx context.Context, prefix string, fn func(name string, value []byte) error) error {
	if strings.ContainsAny(prefix, "/\x00") {
		return fmt.Errorf("store: invalid metadata prefix %q", prefix)
	}
	res, err := s.ds.Query(ctx, query.Query{Prefix: strings.TrimSuffix(metaPrefix, "/"), Orders: []query.Order{query.OrderByKey{}}})
	if err != nil {
		return fmt.Errorf("store: meta range query: %w", err)
	}
	defer res.Close()
	for e := range res.Next() {
		if e.Error != nil {
			return fmt.Errorf("store: meta range: %w", e.Error)
		}
		name, ok := strings.CutPrefix(e.Key, metaPrefix)
		if !ok || !strings.HasPrefix(name, prefix) {
			continue
		}
		if err := fn(name, e.Value); err != nil {
			return err
		}
	}
	return nil
}

// DeleteMeta removes a metadata record.
func (b *Batch) DeleteMeta(name string) {
	if err := checkMetaName(name); err != nil {
		b.err = err
		return
	}
	b.ops = append(b.ops, op{key: ds.RawKey(metaPrefix + name)})
}

// Fail marks the batch unwritable: Apply and ApplyNoSync return err (the first one set) and
// write none of it. A protocol that cannot encode a write it must make durable says so here
// rather than leaving the write out.
func (b *Batch) Fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// Merge appends o's writes to b, in order: later writes to the same key win.
func (b *Batch) Merge(o *Batch) {
	if o == nil {
		return
	}
	if o.err != nil && b.err == nil {
		b.err = o.err
	}
	b.ops = append(b.ops, o.ops...)
}
