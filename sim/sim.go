package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/detrans/detrans/ring"
)

// Sim runs machines of message type M in virtual time. It is not safe for concurrent use: one
// goroutine (normally the test's) drives it, and scenario callbacks run inside that goroutine.
type Sim[M Message] struct {
	cfg   Config[M]
	codec bool
	now   ring.Time
	seq   uint64 // orders events scheduled for the same time: first scheduled, first run
	rng   *rand.Rand

	q     eventQueue
	ticks tickQueue

	nodes  []*node[M] // by index, in order of first mention; never removed
	byAddr map[string]int32

	slots     []slot[M]
	freeSlots []int32
	calls     []call
	freeCalls []int32

	def   Link
	links map[uint64]*Link // directed overrides by linkKey

	nextID uint64 // message ids, for the trace
	tr     tracer
	fp     []byte // scratch for fingerprints

	kinds     map[string]int32
	kindNames []string
	kindStats []KindStats
	st        simCounters

	live      []string // sorted live addresses, rebuilt lazily
	liveDirty bool

	scriptErrs []error
}

// node is everything the sim knows about one address across incarnations.
type node[M Message] struct {
	addr    string
	idx     int32
	m       Machine[M] // nil unless live
	live    bool
	started bool // started at least once: Restart is allowed, Start is not
	inc     uint64
	disk    *Disk
	group   int32 // partition group; 0 is the group of every node not named in Partition
	stats   nodeCounters
}

// slot holds one message in flight (shared by both copies of a duplicated message).
type slot[M Message] struct {
	msg    M
	data   []byte
	id     uint64
	src    int32
	dst    int32
	dstInc uint64 // receiver incarnation at send; 0 if it was not running
	kind   int32  // -1 without Config.Kind
	refs   int32  // deliveries still queued
}

// call is a scheduled scenario callback.
type call struct {
	fn      func()
	period  time.Duration // > 0: repeat (Every)
	gen     uint64        // distinguishes reuses of the same index, for stop functions
	stopped bool
}

// New validates cfg and returns a simulator at virtual time 0 with no nodes.
func New[M Message](cfg Config[M]) (*Sim[M], error) {
	if cfg.New == nil {
		return nil, errors.New("sim: Config.New (the machine factory) is required")
	}
	if (cfg.Encode == nil) != (cfg.Decode == nil) {
		return nil, errors.New("sim: set both Config.Encode and Config.Decode, or neither")
	}
	if cfg.Link == (Link{}) {
		cfg.Link = DefaultLink()
	}
	if err := cfg.Link.Validate(); err != nil {
		return nil, fmt.Errorf("sim: default link: %w", err)
	}
	s := &Sim[M]{
		cfg:    cfg,
		codec:  cfg.Encode != nil,
		rng:    rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(cfg.Seed)^0x6a09e667f3bcc909)),
		byAddr: map[string]int32{},
		def:    cfg.Link,
		links:  map[uint64]*Link{},
		tr:     newTracer(cfg.Trace),
		kinds:  map[string]int32{},
	}
	return s, nil
}

// MustNew is New for tests and benchmarks with a literal config: it panics on a bad one.
func MustNew[M Message](cfg Config[M]) *Sim[M] {
	s, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return s
}

// Now is the current virtual time.
func (s *Sim[M]) Now() ring.Time { return s.now }

// Seed is the seed the simulator was created with.
func (s *Sim[M]) Seed() int64 { return s.cfg.Seed }

// TraceHash is the SHA-256 of every event so far. Two runs of one scenario and seed agree.
func (s *Sim[M]) TraceHash() [32]byte { return s.tr.sum() }

// TraceErr is the first error writing the text trace, if any (tracing stops after it; the hash
// is unaffected).
func (s *Sim[M]) TraceErr() error {
	s.tr.flush()
	return s.tr.err
}

// At schedules fn at virtual time t (at Now if t is already past). Callbacks scheduled for the
// same time run in the order they were scheduled.
func (s *Sim[M]) At(t ring.Time, fn func()) {
	s.schedule(t, call{fn: fn})
}

// After schedules fn d after Now.
func (s *Sim[M]) After(d time.Duration, fn func()) { s.At(s.now.Add(d), fn) }

// Every runs fn every period, the first time one period from Now, until stop is called.
func (s *Sim[M]) Every(period time.Duration, fn func()) (stop func()) {
	if period <= 0 {
		period = 1
	}
	ref, gen := s.schedule(s.now.Add(period), call{fn: fn, period: period})
	return func() {
		if int(ref) < len(s.calls) && s.calls[ref].gen == gen {
			s.calls[ref].stopped = true
		}
	}
}

func (s *Sim[M]) schedule(t ring.Time, c call) (int32, uint64) {
	t = max(t, s.now)
	var ref int32
	if n := len(s.freeCalls); n > 0 {
		ref = s.freeCalls[n-1]
		s.freeCalls = s.freeCalls[:n-1]
		c.gen = s.calls[ref].gen + 1
		s.calls[ref] = c
	} else {
		ref = int32(len(s.calls))
		c.gen = 1
		s.calls = append(s.calls, c)
	}
	s.seq++
	s.q.push(event{at: t, seq: s.seq, ref: ref, kind: evCall})
	return ref, c.gen
}

// next reports when the next event is due, if there is one.
func (s *Sim[M]) next() (ring.Time, bool) {
	switch {
	case s.q.len() == 0 && s.ticks.len() == 0:
		return 0, false
	case s.q.len() == 0:
		return s.ticks.peek().at, true
	case s.ticks.len() == 0:
		return s.q.peek().at, true
	}
	e, t := s.q.peek(), s.ticks.peek()
	return min(e.at, t.at), true
}

// step runs the next event; false if there is none.
func (s *Sim[M]) step() bool {
	tickFirst := false
	switch {
	case s.q.len() == 0 && s.ticks.len() == 0:
		return false
	case s.q.len() == 0:
		tickFirst = true
	case s.ticks.len() > 0:
		e, t := s.q.peek(), s.ticks.peek()
		tickFirst = t.at < e.at || t.at == e.at && t.seq < e.seq
	}
	s.st.events++
	if tickFirst {
		s.tick(s.ticks.pop())
		return true
	}
	ev := s.q.pop()
	s.now = ev.at
	switch ev.kind {
	case evDeliver:
		s.deliver(ev.ref)
	case evCall:
		s.runCall(ev.ref)
	}
	return true
}

func (s *Sim[M]) tick(e tickEntry) {
	s.now = e.at
	n := s.nodes[e.node]
	s.st.ticks++
	n.stats.ticks++
	s.tr.rec(tagTick, s.now)
	s.tr.str(n.addr)
	s.tr.end()
	if s.tr.text() {
		s.tr.startLine(s.now, "tick")
		s.tr.word(n.addr)
		s.tr.endLine()
	}
	n.m.Tick(s.now)
	s.drain(n, true)
}

func (s *Sim[M]) runCall(ref int32) {
	c := s.calls[ref]
	if c.stopped {
		s.freeCall(ref)
		return
	}
	s.tr.rec(tagCall, s.now)
	s.tr.u64(uint64(ref))
	s.tr.end()
	if s.tr.text() {
		s.tr.startLine(s.now, "call")
		s.tr.kv("ref", fmt.Sprint(ref))
		s.tr.endLine()
	}
	c.fn()
	// fn may have scheduled more calls (s.calls may have moved) or stopped this one.
	if c.period > 0 && !s.calls[ref].stopped {
		s.seq++
		s.q.push(event{at: s.now.Add(c.period), seq: s.seq, ref: ref, kind: evCall})
		return
	}
	s.freeCall(ref)
}

func (s *Sim[M]) freeCall(ref int32) {
	s.calls[ref].fn = nil
	s.calls[ref].stopped = true
	s.freeCalls = append(s.freeCalls, ref)
}

// RunFor runs every event due within d of Now, then sets Now to Now+d.
func (s *Sim[M]) RunFor(d time.Duration) {
	s.RunTo(s.now.Add(d))
}

// RunTo runs every event due at or before t, then sets Now to t (if t is not in the past).
func (s *Sim[M]) RunTo(t ring.Time) {
	for {
		at, ok := s.next()
		if !ok || at > t {
			break
		}
		s.step()
	}
	s.now = max(s.now, t)
	s.tr.flush()
}

// RunUntil runs events until cond holds (checked before the first event and after every
// event) or the next event is later than limit; then Now is limit. It reports whether cond held.
// cond runs after every event: keep it cheap, or use WaitFor.
func (s *Sim[M]) RunUntil(cond func() bool, limit ring.Time) bool {
	defer s.tr.flush()
	if cond() {
		return true
	}
	for {
		at, ok := s.next()
		if !ok || at > limit {
			s.now = max(s.now, limit)
			return cond()
		}
		s.step()
		if cond() {
			return true
		}
	}
}

// WaitFor runs in steps of every (virtual time) until cond holds or limit is reached, checking
// cond only between steps: for expensive conditions such as whole-ring checkers.
func (s *Sim[M]) WaitFor(cond func() bool, every time.Duration, limit ring.Time) bool {
	if every <= 0 {
		every = time.Millisecond
	}
	for !cond() {
		if s.now >= limit {
			return false
		}
		s.RunTo(min(s.now.Add(every), limit))
	}
	return true
}

// RunEvents runs at most n events and reports how many ran (fewer if the queue empties).
func (s *Sim[M]) RunEvents(n int) int {
	i := 0
	for ; i < n && s.step(); i++ {
	}
	s.tr.flush()
	return i
}

// Pending is the number of queued events (messages in flight, timers, callbacks).
func (s *Sim[M]) Pending() int { return s.q.len() + s.ticks.len() }
