package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/detrans/detrans/core"
	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/store"
)

// Lazy disk: the simulator's model of node/'s group commit (node/loop.go flush, release,
// syncer). A peer's Persist batch is written at once but not synced: it joins the disk's list of
// unsynced batches. A sync runs one at a time, takes a seeded random virtual delay and covers
// every batch written before it started; when it completes, those batches move into the durable
// store (Boot.Disk.Store). Output is handled as node/ handles it:
//   - messages addressed to the peer itself are stepped at once, before any sync;
//   - messages for which core.Msg.Unbound holds leave at once;
//   - every other message and every event but those txn.Event.Unbound lets go at once waits
//     until a sync covering every batch written before its output was produced has completed,
//     and is released in order;
//   - a sync starts when held output needs one; writes nothing waits for are synced with the
//     next such sync or LazySync after they were made, whichever comes first.
//
// Crashes: Sim.Crash is a process crash (the unsynced batches survive in the page cache; the
// restart reads them, and pebble's Open flushes a replayed log with fsyncs before it returns, so
// the restart makes them durable before the peer restores). MachineCrash is a power loss: the
// unsynced batches are lost, except a prefix the kernel may already have written back.
//
// Everything is deterministic: sync delays come from a generator seeded with the incarnation's
// Boot.Seed, and every write, sync and power loss is a trace record.

// Trace record tags of the lazy disk (see trace.go). Only lazy-disk runs produce them, so the
// traces of every other run are unchanged.
const (
	tagDiskWrite  = 'w'
	tagSyncStart  = 'f'
	tagSyncDone   = 'y'
	tagPowerLoss  = 'M'
	tagDiskRecove = 'r'
)

// LazyDiskConfig sets the virtual duration of one sync, uniform in [SyncMin, SyncMax].
type LazyDiskConfig struct {
	SyncMin, SyncMax time.Duration // zero: 200 µs and 3 ms

	// LazySync is how long writes no output waits for stay unsynced at most (node/'s lazySync);
	// zero: 50 ms.
	LazySync time.Duration

	// Unbound decides which messages leave at once, before the writes made before them are
	// synced; nil: core.Msg.Unbound, as node/ decides. Tests widen it to learn whether a fault
	// family notices a message that leaves too early.
	Unbound func(core.Msg) bool

	// Unordered plants the bug the ordering exists to prevent, for the checkers' own tests:
	// every message and event leaves at once, before the writes it depends on are synced.
	Unordered bool
}

// LazyDisk gives every peer of one simulator a lazily synced disk. Create it with UseLazyDisk.
type LazyDisk struct {
	s    *Sim[core.Msg]
	cfg  LazyDiskConfig
	logs map[*Disk]*diskLog // looked up only, never iterated

	// OnWrite, when set, is called after a peer wrote a batch, before it is synced, with the
	// messages of the same output (to read only: fault injection picks the writes whose
	// messages promise something). It runs inside the peer's Ready: it may schedule scenario
	// actions (At, After) but must not crash or restart anything itself.
	OnWrite func(addr string, msgs []core.Msg)

	// Counters over the whole run.
	Writes, Syncs   int // batches written, syncs completed
	Lost, Recovered int // batches lost to power losses; unsynced batches a restart made durable
}

// diskLog is the part of one address's disk that the lazy disk adds: its batches written and not
// yet synced, in write order. It outlives incarnations, like the Disk.
type diskLog struct {
	durable  *store.Store
	unsynced []loggedBatch
}

type loggedBatch struct {
	seq uint64 // the writing incarnation's write counter
	b   *store.Batch
}

// UseLazyDisk makes every peer that s starts from now on (s must come from PeerConfig, possibly
// with a wrapped factory) run on a lazy disk. Call it before the first Start.
func UseLazyDisk(s *Sim[core.Msg], cfg LazyDiskConfig) (*LazyDisk, error) {
	if len(s.Nodes()) > 0 {
		return nil, fmt.Errorf("sim lazy disk: nodes have started already")
	}
	if cfg.SyncMin == 0 && cfg.SyncMax == 0 {
		cfg.SyncMin, cfg.SyncMax = 200*time.Microsecond, 3*time.Millisecond
	}
	if cfg.SyncMin <= 0 || cfg.SyncMax < cfg.SyncMin {
		return nil, fmt.Errorf("sim lazy disk: sync delay range [%v, %v] is not positive and ordered", cfg.SyncMin, cfg.SyncMax)
	}
	if cfg.Unbound == nil {
		cfg.Unbound = core.Msg.Unbound
	}
	if cfg.LazySync <= 0 {
		cfg.LazySync = 50 * time.Millisecond
	}
	l := &LazyDisk{s: s, cfg: cfg, logs: map[*Disk]*diskLog{}}
	inner := s.cfg.New
	s.cfg.New = func(addr string, boot Boot) Machine[core.Msg] { return l.boot(addr, boot, inner) }
	return l, nil
}

// boot recovers the disk's surviving unsynced batches into its durable store, then lets inner
// create the incarnation and puts it on the lazy disk.
func (l *LazyDisk) boot(addr string, boot Boot, inner func(string, Boot) Machine[core.Msg]) Machine[core.Msg] {
	lg := l.log(boot.Disk)
	var recErr error
	if n := len(lg.unsynced); n > 0 {
		recErr = lg.persist(len(lg.unsynced))
		l.Recovered += n
		l.record(tagDiskRecove, addr, "recover", uint64(n), 0, "batches", "")
	}
	m := inner(addr, boot)
	p, ok := m.(*Peer)
	if !ok {
		return m
	}
	if recErr != nil && p.err == nil {
		p.err = fmt.Errorf("sim peer %s: recover unsynced writes: %w", addr, recErr)
	}
	p.lz = &lazyPeer{
		disk: l,
		log:  lg,
		rng:  rand.New(rand.NewPCG(uint64(boot.Seed), 0x1a2d15c0ffee)),
	}
	return m
}

// log returns d's log, creating it (and d's durable store) on first use.
func (l *LazyDisk) log(d *Disk) *diskLog {
	if lg := l.logs[d]; lg != nil {
		return lg
	}
	st, _ := d.Store.(*store.Store)
	if st == nil {
		st = store.NewMemory()
		d.Store = st
	}
	lg := &diskLog{durable: st}
	l.logs[d] = lg
	return lg
}

// persist moves the first n unsynced batches into the durable store.
func (lg *diskLog) persist(n int) error {
	var err error
	for _, b := range lg.unsynced[:n] {
		if err == nil {
			err = lg.durable.Apply(context.Background(), b.b)
		}
	}
	lg.unsynced = append(lg.unsynced[:0], lg.unsynced[n:]...)
	return err
}

// MachineCrash is a power loss at addr: if it runs, it crashes (as Sim.Crash); the first keep of
// its unsynced batches reach the disk (the kernel may have written some back; the log is read
// back up to the first missing write, so what survives is a prefix) and the rest are lost. It
// also applies to a peer that is down after a process crash. It returns how many batches were
// lost.
func (l *LazyDisk) MachineCrash(addr string, keep int) (lost int, err error) {
	n := l.s.lookup(addr)
	if n == nil || !n.started {
		return 0, fmt.Errorf("sim machine crash %s: never started", addr)
	}
	if n.live {
		if err := l.s.Crash(addr); err != nil {
			return 0, err
		}
	}
	lg := l.log(n.disk)
	keep = max(0, min(keep, len(lg.unsynced)))
	lost = len(lg.unsynced) - keep
	perr := lg.persist(keep)
	lg.unsynced = lg.unsynced[:0]
	l.Lost += lost
	l.record(tagPowerLoss, addr, "powerloss", uint64(keep), uint64(lost), "kept", "lost")
	if perr != nil {
		return lost, fmt.Errorf("sim machine crash %s: write back: %w", addr, perr)
	}
	return lost, nil
}

// Unsynced is the number of batches addr has written and not synced.
func (l *LazyDisk) Unsynced(addr string) int {
	n := l.s.lookup(addr)
	if n == nil || n.disk == nil {
		return 0
	}
	if lg := l.logs[n.disk]; lg != nil {
		return len(lg.unsynced)
	}
	return 0
}

// record writes one lazy-disk event to the trace: a binary record with up to two numbers and, in
// a text trace, "<time> <what> <addr> k1=a k2=b".
func (l *LazyDisk) record(tag byte, addr, what string, a, b uint64, k1, k2 string) {
	tr := &l.s.tr
	tr.rec(tag, l.s.now)
	tr.str(addr)
	tr.u64(a)
	tr.u64(b)
	tr.end()
	if tr.text() {
		tr.startLine(l.s.now, what)
		tr.word(addr)
		if k1 != "" {
			tr.kv(k1, fmt.Sprint(a))
		}
		if k2 != "" {
			tr.kv(k2, fmt.Sprint(b))
		}
		tr.endLine()
	}
}

// lazyPeer is one incarnation's side of the lazy disk: what node/'s flush loop and syncer keep.
type lazyPeer struct {
	disk *LazyDisk
	log  *diskLog
	rng  *rand.Rand

	applied    uint64    // batches written by this incarnation
	synced     uint64    // batches made durable by this incarnation's completed syncs
	syncTarget uint64    // what the running sync covers
	syncAt     ring.Time // when the running sync completes; 0: none runs
	lazyAt     ring.Time // when a sync starts for writes no output waits for; 0: none due
	coreWake   ring.Time // the wake core.Peer last asked for
	more       bool      // the self-message rounds were cut short: Ready again at once
	pending    []pendingOut
	msgs       []core.Msg
}

// pendingOut is output waiting for the writes made before it to be synced.
type pendingOut struct {
	need uint64
	out  core.Output
}
