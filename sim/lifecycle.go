package sim

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
)

// intern returns the record of addr, creating an unstarted one on first mention.
func (s *Sim[M]) intern(addr string) *node[M] {
	if i, ok := s.byAddr[addr]; ok {
		return s.nodes[i]
	}
	n := &node[M]{addr: addr, idx: int32(len(s.nodes))}
	s.byAddr[addr] = n.idx
	s.nodes = append(s.nodes, n)
	s.ticks.grow(len(s.nodes))
	return n
}

func (s *Sim[M]) lookup(addr string) *node[M] {
	if i, ok := s.byAddr[addr]; ok {
		return s.nodes[i]
	}
	return nil
}

// Start creates the first incarnation of addr (Inc 1, a fresh Disk) at Now and drains its
// first outputs. contacts go to the factory in Boot.Contacts.
func (s *Sim[M]) Start(addr string, contacts ...string) error {
	if addr == "" {
		return fmt.Errorf("sim start: empty address")
	}
	n := s.intern(addr)
	if n.started {
		return fmt.Errorf("sim start %s: already started (incarnation %d); use Restart", addr, n.inc)
	}
	n.started = true
	n.disk = &Disk{Files: map[string][]byte{}}
	return s.boot(n, contacts, tagStart)
}

// Restart creates the next incarnation of a crashed or stopped addr with the same Disk.
func (s *Sim[M]) Restart(addr string, contacts ...string) error {
	n := s.lookup(addr)
	switch {
	case n == nil || !n.started:
		return fmt.Errorf("sim restart %s: never started", addr)
	case n.live:
		return fmt.Errorf("sim restart %s: still running (incarnation %d); Crash or Stop it first", addr, n.inc)
	}
	return s.boot(n, contacts, tagRestart)
}

func (s *Sim[M]) boot(n *node[M], contacts []string, tag byte) error {
	n.inc++
	boot := Boot{Inc: n.inc, Disk: n.disk, Seed: s.machineSeed(n.addr, n.inc),
		Contacts: slices.Clone(contacts), Now: s.now}
	s.tr.rec(tag, s.now)
	s.tr.str(n.addr)
	s.tr.u64(n.inc)
	s.tr.u64(uint64(len(contacts)))
	for _, c := range contacts {
		s.tr.str(c)
	}
	s.tr.end()
	if s.tr.text() {
		what := "start"
		if tag == tagRestart {
			what = "restart"
		}
		s.tr.startLine(s.now, what)
		s.tr.word(n.addr)
		s.tr.kv("inc", fmt.Sprint(n.inc))
		s.tr.kv("contacts", "["+strings.Join(contacts, " ")+"]")
		s.tr.endLine()
	}
	m := s.cfg.New(n.addr, boot)
	if m == nil {
		return fmt.Errorf("sim start %s: the factory returned no machine", n.addr)
	}
	n.m, n.live = m, true
	s.liveDirty = true
	s.drain(n, false)
	return nil
}

// machineSeed derives a machine's seed from the sim seed, its address and incarnation, so that
// adding a node does not change the randomness of the others.
func (s *Sim[M]) machineSeed(addr string, inc uint64) int64 {
	var b []byte
	b = binary.LittleEndian.AppendUint64(b, uint64(s.cfg.Seed))
	b = binary.LittleEndian.AppendUint64(b, inc)
	b = append(b, addr...)
	h := sha256.Sum256(b)
	return int64(binary.LittleEndian.Uint64(h[:8]))
}

// Crash kills addr at once: its machine and pending tick are dropped, messages in flight to it
// are dropped on arrival (also if it has restarted by then). Its Disk survives.
func (s *Sim[M]) Crash(addr string) error { return s.halt(addr, tagCrash, "crash") }

// Stop ends addr like Crash. It is the graceful end: the scenario calls it once the machine
// has done its leaving (e.g. after a leave-done event), so the trace tells it from a crash.
func (s *Sim[M]) Stop(addr string) error { return s.halt(addr, tagStop, "stop") }

func (s *Sim[M]) halt(addr string, tag byte, what string) error {
	n := s.lookup(addr)
	if n == nil || !n.live {
		return fmt.Errorf("sim %s %s: not running", what, addr)
	}
	n.live, n.m = false, nil
	s.ticks.remove(n.idx)
	s.liveDirty = true
	s.tr.rec(tag, s.now)
	s.tr.str(addr)
	s.tr.end()
	if s.tr.text() {
		s.tr.startLine(s.now, what)
		s.tr.word(addr)
		s.tr.kv("inc", fmt.Sprint(n.inc))
		s.tr.endLine()
	}
	return nil
}

// Do runs fn on addr's machine at Now (to call its API: a lookup, a leave, a put) and then
// drains the machine's outputs, as if it had been stepped.
func (s *Sim[M]) Do(addr string, fn func(Machine[M])) error {
	n := s.lookup(addr)
	if n == nil || !n.live {
		return fmt.Errorf("sim do %s: not running", addr)
	}
	s.tr.rec(tagDo, s.now)
	s.tr.str(addr)
	s.tr.end()
	if s.tr.text() {
		s.tr.startLine(s.now, "do")
		s.tr.word(addr)
		s.tr.endLine()
	}
	fn(n.m)
	s.drain(n, false)
	return nil
}

// Live returns the addresses of running nodes, sorted. The slice is shared until the next
// lifecycle change: do not modify it.
func (s *Sim[M]) Live() []string {
	if s.liveDirty || s.live == nil {
		s.live = s.live[:0]
		for _, n := range s.nodes {
			if n.live {
				s.live = append(s.live, n.addr)
			}
		}
		slices.Sort(s.live)
		s.liveDirty = false
	}
	return s.live
}

// Nodes returns every address ever started, sorted.
func (s *Sim[M]) Nodes() []string {
	var out []string
	for _, n := range s.nodes {
		if n.started {
			out = append(out, n.addr)
		}
	}
	slices.Sort(out)
	return out
}

// Machine is addr's running machine, or nil. For checkers and scenario inspection; to call a
// method that produces output, use Do so the output is sent.
func (s *Sim[M]) Machine(addr string) Machine[M] {
	if n := s.lookup(addr); n != nil && n.live {
		return n.m
	}
	return nil
}

// Each calls fn for every running machine in address order.
func (s *Sim[M]) Each(fn func(addr string, m Machine[M])) {
	for _, a := range s.Live() {
		fn(a, s.nodes[s.byAddr[a]].m)
	}
}

// Inc is addr's current (or last) incarnation; 0 if never started.
func (s *Sim[M]) Inc(addr string) uint64 {
	if n := s.lookup(addr); n != nil {
		return n.inc
	}
	return 0
}

// Disk is addr's persistent disk (nil if never started), for checkers.
func (s *Sim[M]) Disk(addr string) *Disk {
	if n := s.lookup(addr); n != nil {
		return n.disk
	}
	return nil
}
