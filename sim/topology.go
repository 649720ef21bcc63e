package sim

import (
	"fmt"
	"strings"
)

// Partition splits the network: the nodes of groups[i] form group i+1 and every node not named
// (including nodes started later) forms group 0 together. Messages between different groups are
// dropped, checked both at send and at delivery. A node named twice ends in the last group
// naming it. Partition replaces any previous partition; Heal ends it.
func (s *Sim[M]) Partition(groups ...[]string) {
	for _, n := range s.nodes {
		n.group = 0
	}
	for i, g := range groups {
		for _, a := range g {
			s.intern(a).group = int32(i + 1)
		}
	}
	s.tr.rec(tagPartition, s.now)
	s.tr.u64(uint64(len(groups)))
	for _, g := range groups {
		s.tr.u64(uint64(len(g)))
		for _, a := range g {
			s.tr.str(a)
		}
	}
	s.tr.end()
	if s.tr.text() {
		s.tr.startLine(s.now, "partition")
		for _, g := range groups {
			s.tr.word("[" + strings.Join(g, " ") + "]")
		}
		s.tr.endLine()
	}
}

// Heal ends the partition: every node is in group 0 again.
func (s *Sim[M]) Heal() {
	for _, n := range s.nodes {
		n.group = 0
	}
	s.tr.rec(tagHeal, s.now)
	s.tr.end()
	if s.tr.text() {
		s.tr.startLine(s.now, "heal")
		s.tr.endLine()
	}
}

// Group is addr's partition group (0 when not partitioned away).
func (s *Sim[M]) Group(addr string) int {
	if n := s.lookup(addr); n != nil {
		return int(n.group)
	}
	return 0
}

// SetDefaultLink replaces the model of every link without an override.
func (s *Sim[M]) SetDefaultLink(l Link) error {
	if err := l.Validate(); err != nil {
		return fmt.Errorf("sim default link: %w", err)
	}
	s.def = l
	s.traceLink("*", "*", l)
	return nil
}

// SetLink overrides the model of the directed link src→dst (the reverse direction keeps its
// own model, so links can be asymmetric).
func (s *Sim[M]) SetLink(src, dst string, l Link) error {
	if err := l.Validate(); err != nil {
		return fmt.Errorf("sim link %s->%s: %w", src, dst, err)
	}
	a, b := s.intern(src), s.intern(dst)
	s.links[linkKey(a.idx, b.idx)] = &l
	s.traceLink(src, dst, l)
	return nil
}

// SetLinkBoth overrides both directions between a and b.
func (s *Sim[M]) SetLinkBoth(a, b string, l Link) error {
	if err := s.SetLink(a, b, l); err != nil {
		return err
	}
	return s.SetLink(b, a, l)
}

// ClearLink removes the override of src→dst: it follows the default link again.
func (s *Sim[M]) ClearLink(src, dst string) {
	a, b := s.lookup(src), s.lookup(dst)
	if a == nil || b == nil {
		return
	}
	delete(s.links, linkKey(a.idx, b.idx))
	s.traceLink(src, dst, s.def)
}

// LinkOf is the model currently used for src→dst.
func (s *Sim[M]) LinkOf(src, dst string) Link {
	a, b := s.lookup(src), s.lookup(dst)
	if a == nil || b == nil {
		return s.def
	}
	return *s.link(a.idx, b.idx)
}

// Reachable reports whether a message sent now from src would pass the partition and link-up
// checks (it may still be lost by chance).
func (s *Sim[M]) Reachable(src, dst string) bool {
	a, b := s.lookup(src), s.lookup(dst)
	if a == nil || b == nil {
		return false
	}
	return a == b || s.cut(a, b, s.link(a.idx, b.idx)) == 0
}

func (s *Sim[M]) traceLink(src, dst string, l Link) {
	s.tr.rec(tagLink, s.now)
	s.tr.str(src)
	s.tr.str(dst)
	s.tr.str(fmt.Sprintf("%+v", l))
	s.tr.end()
	if s.tr.text() {
		s.tr.startLine(s.now, "link")
		s.tr.arrow(src, dst)
		s.tr.word(fmt.Sprintf("%+v", l))
		s.tr.endLine()
	}
}
