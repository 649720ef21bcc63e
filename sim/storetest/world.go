package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/detrans/detrans/core"
	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/sim"
	"github.com/detrans/detrans/txn"
)

// World is a simulated space of full peers plus the clients that use it. Clients start
// operations through Read and Commit and get their outcome by callback, in virtual time.
type World struct {
	S     *sim.Sim[core.Msg]
	Lazy  *sim.LazyDisk // nil unless the peers run on lazy disks (Faults.LazyDisk)
	Rand  *rand.Rand    // the harness's own randomness (workloads, faults), apart from the network's
	Addrs []string      // every peer address, in start order

	// OnCommit, when set, runs right after a commit was handed to a peer (fault injection
	// uses it to crash a transaction manager mid-commit).
	OnCommit func(addr string)
	// OnCommitted, when set, runs when a commit's client is told it committed (fault
	// injection uses it to crash the written keys' replicas right after the acknowledgement).
	OnCommitted func(addr string, spec txn.TxSpec)

	// Mutate, when set, may alter an operation's outcome before its client sees it: the
	// checkers' own tests use it to plant the bugs they must find.
	Mutate func(addr string, ev *txn.Event)

	// MachineCrashes counts the power losses injected (MachineCrash).
	MachineCrashes int
	// TxReads counts the reads started by TxRead; LocalTxReads those a local replica answered.
	TxReads, LocalTxReads int
	// Struck counts, by message kind, the held messages of the writes that armed power losses
	// struck right after (what the peer was about to promise when it lost power).
	Struck map[string]int

	armed  map[string]armedLoss // power losses waiting for the peer's next write
	armGen uint64

	pend      map[reqKey]Done
	down      map[string]bool
	overrides [][2]string // links with an override, cleared by HealAll
	healed    bool
	spins     string
	errs      []error
	nextProc  int
	stopped   bool
	inFlight  int
}

// Done receives an operation's outcome: ev is the peer's event; lost reports that the peer
// crashed before it answered (ev is zero then).
type Done func(ev txn.Event, lost bool)

type reqKey struct {
	addr string
	inc  uint64
	id   uint64
}

// NewWorld builds a world of n peers p0..p(n-1) (p0 founds the space, the others join through
// one or two earlier peers 100 ms apart) on link, and runs it until the ring and every replica
// group have settled. It fails when they do not settle within a virtual minute.
func NewWorld(seed int64, n int, cfg core.Config, link sim.Link) (*World, error) {
	return newWorld(seed, n, cfg, link, nil, nil)
}

func newWorld(seed int64, n int, cfg core.Config, link sim.Link, trace io.Writer, lazy *sim.LazyDiskConfig) (*World, error) {
	w := &World{
		Rand: rand.New(rand.NewPCG(uint64(seed), 0x57043e57)),
		pend: map[reqKey]Done{},
		down: map[string]bool{},
	}
	scfg := sim.PeerConfig(seed, cfg, link, "p0")
	scfg.Trace = trace
	inner := scfg.New
	scfg.New = func(addr string, boot sim.Boot) sim.Machine[core.Msg] {
		m := inner(addr, boot)
		m.(*sim.Peer).OnEvents = w.onEvents
		return m
	}
	s, err := sim.New(scfg)
	if err != nil {
		return nil, err
	}
	w.S = s
	if lazy != nil {
		if w.Lazy, err = sim.UseLazyDisk(s, *lazy); err != nil {
			return nil, err
		}
		w.Lazy.OnWrite = w.onWrite
	}
	for i := range n {
		w.Addrs = append(w.Addrs, fmt.Sprint("p", i))
	}
	if err := s.Start("p0"); err != nil {
		return nil, err
	}
	var startErr error
	for i := 1; i < n; i++ {
		contacts := w.pick(w.Addrs[:i], 2)
		s.At(ring.Time(time.Duration(i)*100*time.Millisecond), func() {
			if err := s.Start(w.Addrs[i], contacts...); err != nil {
				startErr = err
			}
		})
	}
	s.RunFor(time.Duration(n) * 100 * time.Millisecond)
	if startErr != nil {
		return nil, startErr
	}
	if err := w.WaitSettled(time.Minute); err != nil {
		return nil, fmt.Errorf("initial space: %w", err)
	}
	return w, nil
}

// WaitSettled runs until sim.CheckPeersSettled holds, for at most d of virtual time.
func (w *World) WaitSettled(d time.Duration) error {
	var last error
	if !w.S.WaitFor(func() bool { last = sim.CheckPeersSettled(w.S); return last == nil }, 250*time.Millisecond, w.S.Now().Add(d)) {
		return fmt.Errorf("peers did not settle within %v (at %v): %w", d, time.Duration(w.S.Now()), last)
	}
	return nil
}

// pick returns up to k distinct random elements of from.
func (w *World) pick(from []string, k int) []string {
	c := slices.Clone(from)
	w.Rand.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] })
	return c[:min(k, len(c))]
}

// Live lists running peers.
func (w *World) Live() []string { return w.S.Live() }

// Down lists crashed peers in address order.
func (w *World) Down() []string {
	var out []string
	for _, a := range w.Addrs {
		if w.down[a] {
			out = append(out, a)
		}
	}
	return out
}

// Unavailable counts peers that are down or running but not (yet) in the ring: a restarted
// peer is of no use to the ring or its replica groups until it has joined again.
func (w *World) Unavailable() int {
	n := len(w.Down())
	for _, a := range w.Live() {
		if !w.joined(a) {
			n++
		}
	}
	return n
}

func (w *World) joined(addr string) bool {
	p, ok := w.S.Machine(addr).(*sim.Peer)
	return ok && p.P != nil && p.P.State().Joined
}

// RandomLive is a random running peer ("" if none).
func (w *World) RandomLive() string {
	l := w.Live()
	if len(l) == 0 {
		return ""
	}
	return l[w.Rand.IntN(len(l))]
}

// NewProc allocates a client process id (porcupine's ClientId).
func (w *World) NewProc() int { w.nextProc++; return w.nextProc - 1 }

// Procs is the number of process ids allocated so far.
func (w *World) Procs() int { return w.nextProc }

// Stop tells clients to start no new operation.
func (w *World) Stop() { w.stopped = true }

// Stopped reports whether clients should stop.
func (w *World) Stopped() bool { return w.stopped }

// InFlight is the number of operations started and not yet answered.
func (w *World) InFlight() int { return w.inFlight }

func (w *World) onEvents(p *sim.Peer) {
	for _, ev := range p.TxnEvents {
		if ev.Kind != txn.EvReadDone && ev.Kind != txn.EvCommitDone {
			continue
		}
		k := reqKey{p.Addr, p.Inc, ev.ReqID}
		if done := w.pend[k]; done != nil {
			delete(w.pend, k)
			w.inFlight--
			if w.Mutate != nil {
				w.Mutate(p.Addr, &ev)
			}
			w.S.At(w.S.Now(), func() { done(ev, false) })
		}
	}
	p.TxnEvents, p.RingEvents = p.TxnEvents[:0], p.RingEvents[:0]
}

// Read starts a quorum read of key on addr; false if addr is not running.
func (w *World) Read(addr string, key []byte, done Done) bool {
	return w.S.Do(addr, func(m sim.Machine[core.Msg]) {
		p := m.(*sim.Peer)
		w.track(p, p.P.Read(w.S.Now(), key), done)
	}) == nil
}

// TxRead reads key for a transaction on addr, as node.Tx does: when local is set and addr's own
// replica can answer (txn.Machine.ReadLocal), from it with no message (possibly lagging: the
// commit checks the version), else by a quorum read. False if addr is not running.
func (w *World) TxRead(addr string, key []byte, local bool, done Done) bool {
	return w.S.Do(addr, func(m sim.Machine[core.Msg]) {
		p := m.(*sim.Peer)
		w.TxReads++
		if local {
			if ev, ok := p.P.Txn.ReadLocal(w.S.Now(), key); ok {
				w.LocalTxReads++
				if w.Mutate != nil {
					w.Mutate(p.Addr, &ev)
				}
				w.S.At(w.S.Now(), func() { done(ev, false) })
				return
			}
		}
		w.track(p, p.P.Read(w.S.Now(), key), done)
	}) == nil
}

// Commit starts committing spec on addr; false if addr is not running.
func (w *World) Commit(addr string, spec txn.TxSpec, done Done) bool {
	if w.OnCommitted != nil {
		inner := done
		done = func(ev txn.Event, lost bool) {
			// Read at answer time: HealAll clears the hook.
			if !lost && ev.Err == nil && w.OnCommitted != nil {
				w.OnCommitted(addr, spec)
			}
			inner(ev, lost)
		}
	}
	ok := w.S.Do(addr, func(m sim.Machine[core.Msg]) {
		p := m.(*sim.Peer)
		w.track(p, p.P.Commit(w.S.Now(), spec), done)
	}) == nil
	if ok && w.OnCommit != nil {
		w.OnCommit(addr)
	}
	return ok
}

func (w *World) track(p *sim.Peer, id uint64, done Done) {
	w.pend[reqKey{p.Addr, p.Inc, id}] = done
	w.inFlight++
}

// Crash crashes addr; the operations in flight on it are lost (their Done gets lost = true).
func (w *World) Crash(addr string) error {
	if p, ok := w.S.Machine(addr).(*sim.Peer); ok {
		w.noteSpins(p)
	}
	if err := w.S.Crash(addr); err != nil {
		return err
	}
	w.down[addr] = true
	var lost []reqKey
	for k := range w.pend {
		if k.addr == addr {
			lost = append(lost, k)
		}
	}
	slices.SortFunc(lost, func(a, b reqKey) int { return cmp.Compare(a.id, b.id) }) // map order must not leak
	for _, k := range lost {
		done := w.pend[k]
		delete(w.pend, k)
		w.inFlight--
		w.S.At(w.S.Now(), func() { done(txn.Event{}, true) })
	}
	return nil
}

// Restart restarts a crashed addr through up to two random running peers that are in the
// ring (as an invite ticket or the DHT would name them); through any running peer if none is.
func (w *World) Restart(addr string) error {
	var others, joined []string
	for _, a := range w.Live() {
		if a == addr {
			continue
		}
		others = append(others, a)
		if w.joined(a) {
			joined = append(joined, a)
		}
	}
	if len(joined) > 0 {
		others = joined
	}
	if err := w.S.Restart(addr, w.pick(others, 2)...); err != nil {
		return err
	}
	delete(w.down, addr)
	return nil
}

// RestartAll restarts every crashed peer.
func (w *World) RestartAll() error {
	for _, a := range w.Down() {
		if err := w.Restart(a); err != nil {
			return err
		}
	}
	return nil
}

// PeerErrors reports persist or restore failures of running peers, and timer spins of any
// incarnation (sim.Peer.Spins).
func (w *World) PeerErrors() error {
	for _, p := range sim.Peers(w.S) {
		if err := p.Err(); err != nil {
			return err
		}
		w.noteSpins(p)
	}
	if w.spins != "" {
		return errors.New(w.spins)
	}
	return nil
}

func (w *World) noteSpins(p *sim.Peer) {
	if n, at := p.Spins(); n > 0 && w.spins == "" {
		w.spins = fmt.Sprintf("timer spin: %s (incarnation %d) asked %d times to be ticked again at or before the tick's time, first at %v",
			p.Addr, p.Inc, n, time.Duration(at))
	}
}

// Await runs the simulation until *done is set or d of virtual time passes; it reports
// whether *done was set. For the test's own synchronous steps (final reads), not for clients.
func (w *World) Await(done *bool, d time.Duration) bool {
	return w.S.RunUntil(func() bool { return *done }, w.S.Now().Add(d))
}

// ReadSync reads key through addr, waiting in virtual time; it retries a failed read until d
// has passed, each time through a random live peer after the first.
func (w *World) ReadSync(addr string, key []byte, d time.Duration, rec func(call, ret ring.Time, ev txn.Event)) (txn.Event, error) {
	deadline := w.S.Now().Add(d)
	var last txn.Event
	for w.S.Now() < deadline {
		var got bool
		call := w.S.Now()
		if !w.Read(addr, key, func(ev txn.Event, _ bool) { last, got = ev, true }) {
			return txn.Event{}, fmt.Errorf("read %q: %s is not running", key, addr)
		}
		if !w.Await(&got, deadline.Sub(w.S.Now())+10*time.Second) {
			return txn.Event{}, fmt.Errorf("read %q on %s: no answer", key, addr)
		}
		if rec != nil {
			rec(call, w.S.Now(), last)
		}
		if last.Err == nil {
			return last, nil
		}
		w.S.RunFor(200 * time.Millisecond)
		addr = w.RandomLive()
	}
	return last, fmt.Errorf("read %q: %w", key, last.Err)
}
