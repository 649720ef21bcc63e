package partition

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/detrans/detrans/ring"
	"github.com/stretchr/testify/require"
)

// quiet is a configuration without periodic self-checks or searches, so that counts show only
// what detection and merging cost.
func quiet() Config { return Config{CheckPeriod: time.Hour, SearchFor: time.Nanosecond} }

// splitApart builds a ring of names, cuts it into groups and waits until each group is a ring
// of its own (every node of the other groups removed, and so passive).
func splitApart(t *testing.T, w *world, groups ...[]string) {
	var all []string
	for _, g := range groups {
		all = append(all, g...)
	}
	w.build(all...)
	w.split(groups...)
	_, ok := w.runUntil(2*time.Minute, func() bool {
		for _, g := range groups {
			if w.ringOf(g...) != nil {
				return false
			}
		}
		return true
	})
	require.True(t, ok, "the groups did not become rings of their own")
}

// Detection by probing a passive node: the same incarnation answering after a heal means the
// node was across a partition, and the rings merge; a new incarnation (a restart) is simply
// merged in as well, and the ring keeps only the new one.
func TestProbeAnswerMergesRings(t *testing.T) {
	for _, c := range []struct {
		name    string
		restart bool
	}{{"same incarnation", false}, {"new incarnation", true}} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, quiet())
			splitApart(t, w, []string{"a", "b", "c"}, []string{"d", "e"})
			require.Contains(t, passiveAddrs(w.peers["a"].r), "d", "d is passive at a")
			if c.restart {
				w.start("d", 2) // a ring of its own, as after a restart
				w.run(3 * time.Second)
			}
			healAt := w.now
			w.heal()
			took, ok := w.runUntil(time.Minute, func() bool { return w.ringOf("a", "b", "c", "d", "e") == nil })
			require.True(t, ok, "no single ring after the heal: %v", w.ringOf("a", "b", "c", "d", "e"))
			require.Greater(t, w.countSent(healAt, MsgProbeReply), 0, "detected by a probe answer")
			require.Greater(t, w.countSent(healAt, MsgTryMerge), 0, "zipped by trymerge")
			w.run(5 * time.Second) // the other passive entries answer their next probe
			for _, n := range []string{"a", "b", "c", "d", "e"} {
				require.Empty(t, passiveAddrs(w.peers[n].r), "%s's passive list after the merge", n)
				for _, s := range w.peers[n].r.State().Succs {
					if s.Addr == "d" {
						require.Equal(t, w.peers["d"].r.Self().Inc, s.Inc, "%s holds d's current incarnation", n)
					}
				}
			}
			t.Logf("one ring %v after the heal", took)
		})
	}
}

// Any message from a passive node is a detection (ring.EvPassiveContact): the node is queued,
// no longer probed, and at the next tick a trymerge (we are alone) goes to it.
func TestPassiveContactTriggersMerge(t *testing.T) {
	w := newWorld(t, quiet())
	splitApart(t, w, []string{"a"}, []string{"b"})
	w.run(2 * time.Second) // the layer takes up the passive list
	a := w.peers["a"]
	require.Equal(t, []string{"b"}, passiveAddrs(a.r))
	require.Contains(t, a.p.probes, "b")
	from := w.now
	// b's ring messages do not get through yet: deliver one by hand, as a heal would.
	a.r.Step(w.now, ring.Message{Type: ring.MsgPing, From: w.peers["b"].r.Self(), To: a.r.Self(), Sent: w.now})
	w.flush(a)
	require.Empty(t, passiveAddrs(a.r), "b is no longer passive")
	require.NotContains(t, a.p.probes, "b", "nor probed")
	a.p.Tick(w.now)
	w.flush(a)
	require.Equal(t, 1, w.countSent(from, MsgTryMerge))
	require.Equal(t, "b", w.log[len(w.log)-1].msg.To.Addr)
	w.heal()
	_, ok := w.runUntil(10*time.Second, func() bool { return w.ringOf("a", "b") == nil })
	require.True(t, ok, "one ring: %v", w.ringOf("a", "b"))
}

// mlookup and trymerge, message by message, on a ring of three and a foreign node f alone:
// an mlookup is routed (clockwise, or back along the predecessor list as the ring's routing
// does) to a node next to f's place, which tells f its two neighbours; f continues the zip in its own ring (alone: back to the
// successor it was given) and adopts them.
func TestMLookupAndTryMergeSteps(t *testing.T) {
	w := newWorld(t, quiet())
	names := []string{"x", "y", "z"}
	w.build(names...)
	f := w.start("f", 1) // a ring of its own, not connected
	fr := f.r.Self()
	// In ring order, who lies before and after f.
	order := slices.Clone(names)
	slices.SortFunc(order, func(a, b string) int { return nodeRef(a, 0).ID.Cmp(nodeRef(b, 0).ID) })
	var before, after string
	for i, n := range order {
		next := order[(i+1)%len(order)]
		if ring.BetweenOpen(nodeRef(n, 0).ID, fr.ID, nodeRef(next, 0).ID) {
			before, after = n, next
		}
	}
	require.NotEmpty(t, before)

	// At the node before f: a trymerge to f naming it and its successor.
	pb := w.peers[before]
	pb.p.Step(w.now, Message{Type: MsgMLookup, From: w.peers[after].r.Self(), To: pb.r.Self(), Target: fr})
	out, _ := pb.p.Ready()
	require.Len(t, out, 1)
	require.Equal(t, MsgTryMerge, out[0].Type)
	require.Equal(t, "f", out[0].To.Addr)
	require.Equal(t, before, out[0].CPred.Addr)
	require.Equal(t, after, out[0].CSucc.Addr)

	// At the node after f: the same answer, from the other side.
	pa := w.peers[after]
	pa.p.Step(w.now, Message{Type: MsgMLookup, From: pb.r.Self(), To: pa.r.Self(), Target: fr})
	out, _ = pa.p.Ready()
	require.Len(t, out, 1)
	require.Equal(t, MsgTryMerge, out[0].Type)
	require.Equal(t, before, out[0].CPred.Addr)
	require.Equal(t, after, out[0].CSucc.Addr)

	// At the third node: routed on, one hop more — in a ring this small, back along the
	// predecessor list to the node after f (the ring's own routing), which answers as above.
	var third string
	for _, n := range names {
		if n != before && n != after {
			third = n
		}
	}
	pt := w.peers[third]
	pt.p.Step(w.now, Message{Type: MsgMLookup, From: pb.r.Self(), To: pt.r.Self(), Target: fr, Hops: 2})
	out, _ = pt.p.Ready()
	require.Len(t, out, 1)
	require.Equal(t, MsgMLookup, out[0].Type)
	require.Equal(t, uint32(3), out[0].Hops)
	require.Equal(t, after, out[0].To.Addr, "to the predecessor whose range holds f")

	// Beyond MaxHops it is dropped.
	pt.p.Step(w.now, Message{Type: MsgMLookup, From: pb.r.Self(), To: pt.r.Self(), Target: fr, Hops: uint32(pt.p.cfg.MaxHops)})
	out, _ = pt.p.Ready()
	require.Empty(t, out)

	// At f: trymerge adopts both, and continues the zip in f's ring (f alone: a trymerge back
	// to the successor it was given).
	f.p.Step(w.now, Message{Type: MsgTryMerge, From: pb.r.Self(), To: fr, CPred: pb.r.Self(), CSucc: pa.r.Self()})
	out, _ = f.p.Ready()
	require.Len(t, out, 1)
	require.Equal(t, MsgTryMerge, out[0].Type)
	require.Equal(t, after, out[0].To.Addr)
	require.Equal(t, "f", out[0].CPred.Addr)
	require.Equal(t, "f", out[0].CSucc.Addr)
	st := f.r.State()
	require.Equal(t, after, st.Succs[0].Addr)
	require.Equal(t, before, st.Pred.Addr)

	// Delivered for real, the rest of the zip makes one ring.
	w.flush(f)
	_, ok := w.runUntil(10*time.Second, func() bool { return w.ringOf("x", "y", "z", "f") == nil })
	require.True(t, ok, "one ring: %v", w.ringOf("x", "y", "z", "f"))
}

// Fan-out F: at most F queued foreign nodes are taken up per period γ; a detection when no round
// is due starts one at once (it takes the one node queued then).
func TestFanoutPerPeriod(t *testing.T) {
	for _, fan := range []int{1, 3, 8} {
		t.Run(fmt.Sprint("F=", fan), func(t *testing.T) {
			cfg := quiet()
			cfg.Fanout = fan
			w := newWorld(t, cfg)
			a := w.start("a", 1)
			for i := range 20 {
				a.p.Detect(w.now, nodeRef(fmt.Sprint("far", i), 1))
			}
			require.Len(t, a.p.queue, 19, "the first detection was taken up at once")
			gamma := a.p.cfg.Period
			w.cut = func(string, string) bool { return true } // nobody answers
			from := w.now
			for p := 1; p <= 3; p++ {
				w.run(gamma)
				// A lone node places every foreign node between itself and itself: a trymerge each.
				require.Equal(t, min(20, 1+p*fan), w.countSent(from, MsgTryMerge), "after %d periods", p)
			}
		})
	}
}

// A false detection — a node that is in our ring after all, but not in our tables — costs one
// routed mlookup that stops where the node sits: a few messages, no trymerge, nothing changes.
func TestFalseDetectionCostsAFewHops(t *testing.T) {
	w := newWorld(t, quiet())
	var names []string
	for i := range 16 {
		names = append(names, fmt.Sprint("n", i))
	}
	w.build(names...)
	a := w.peers["n0"]
	var target ring.NodeRef
	for _, n := range names[1:] {
		if !a.r.InView(n) {
			target = w.peers[n].r.Self()
			break
		}
	}
	require.False(t, target.IsZero(), "some node outside n0's view")
	from := w.now
	a.p.Detect(w.now, target)
	w.run(5 * time.Second)
	require.Zero(t, w.countSent(from, MsgTryMerge))
	hops := w.countSent(from, MsgMLookup)
	require.Positive(t, hops)
	require.LessOrEqual(t, hops, 5, "log2(16)+1 hops at most")
	require.NoError(t, w.ringOf(names...))

	// A node in our view is not even looked up.
	from = w.now
	a.p.Detect(w.now, a.r.Succ())
	w.run(2 * time.Second)
	require.Zero(t, w.countSent(from, 0))
}

// Probing: per-entry backoff from ProbeMin up to ProbeMax, at most ProbeBudget probes per γ
// over all entries; after a split of 10 minutes every passive node is still probed often, and
// the heal is noticed within a few γ.
func TestProbeBudgetAndBackoff(t *testing.T) {
	cfg := quiet()
	cfg.ProbeMax, cfg.ProbeBudget = time.Second, 1 // more entries due than the budget allows
	w := newWorld(t, cfg)
	var left, right []string
	for i := range 12 {
		name := fmt.Sprint("n", i)
		if i < 2 {
			left = append(left, name)
		} else {
			right = append(right, name)
		}
	}
	splitApart(t, w, left, right)
	a := w.peers["n0"]
	passive := passiveAddrs(a.r)
	require.GreaterOrEqual(t, len(passive), 6, "n0 lost many nodes: %v", passive)
	cfg = a.p.cfg
	from := w.now
	w.run(10 * time.Minute)

	var probes []sentMsg
	for _, s := range w.log {
		if s.at >= from && s.msg.From.Addr == "n0" && s.msg.Type == MsgProbe {
			probes = append(probes, s)
		}
	}
	// Budget: never more than ProbeBudget in any window of one period.
	for i := range probes {
		j := i
		for j < len(probes) && probes[j].at < probes[i].at.Add(cfg.Period) {
			j++
		}
		require.LessOrEqual(t, j-i, cfg.ProbeBudget, "probes in the period from %v", time.Duration(probes[i].at))
	}
	// Backoff capped low: each entry is probed at least every max(ProbeMax, entries/budget·γ)
	// (plus a period of slack), also after 10 minutes apart.
	bound := max(cfg.ProbeMax, time.Duration(len(passive)/cfg.ProbeBudget+1)*cfg.Period) + cfg.Period
	last := map[string]ring.Time{}
	for _, p := range probes {
		if prev, ok := last[p.msg.To.Addr]; ok && p.at > from.Add(time.Minute) {
			require.LessOrEqual(t, p.at.Sub(prev), bound, "gap between probes of %s", p.msg.To.Addr)
		}
		last[p.msg.To.Addr] = p.at
	}
	require.Len(t, last, len(passive), "every passive node probed")
	perPeriod := float64(len(probes)) / float64(10*time.Minute/cfg.Period)
	require.LessOrEqual(t, perPeriod, float64(cfg.ProbeBudget))
	require.Greater(t, perPeriod, 0.9*float64(cfg.ProbeBudget), "the budget is used: every entry is due")
	t.Logf("%d passive nodes, %.2f probes per γ, max gap %v", len(passive), perPeriod, bound)

	healAt := w.now
	w.heal()
	took, ok := w.runUntil(time.Minute, func() bool { return w.countSent(healAt, MsgProbeReply) > 0 })
	require.True(t, ok)
	require.LessOrEqual(t, took, 4*cfg.Period+cfg.ProbeMax, "the heal noticed within a few γ")
	all := append(slices.Clone(left), right...)
	_, ok = w.runUntil(time.Minute, func() bool { return w.ringOf(all...) == nil })
	require.True(t, ok, "one ring: %v", w.ringOf(all...))
}

// A probe answer from a node that is not probed (late, forged, or probing was stopped) does
// nothing; an answer from a node already in our view is not a detection.
func TestUnaskedProbeReplyIsIgnored(t *testing.T) {
	w := newWorld(t, quiet())
	w.build("a", "b", "c")
	a := w.peers["a"]
	from := w.now
	a.p.Step(w.now, Message{Type: MsgProbeReply, From: nodeRef("zz", 1), To: a.r.Self(), Nodes: []ring.NodeRef{nodeRef("yy", 1)}})
	a.p.Step(w.now, Message{Type: MsgProbeReply, From: a.r.Succ(), To: a.r.Self()})
	w.flush(a)
	w.run(2 * time.Second)
	require.Empty(t, a.p.queue)
	require.Zero(t, w.countSent(from, MsgMLookup))
	require.Zero(t, w.countSent(from, MsgTryMerge))
}

// After the ring removes a node, the layer searches: one mlookup of itself per γ, round-robin
// over nodes it knows of outside its view, for SearchFor; then the pace halves every SearchFor
// down to the self-check's (CheckPeriod), and the search ends.
func TestSearchAfterRemoval(t *testing.T) {
	cfg := Config{CheckPeriod: 8 * time.Second, SearchFor: 2 * time.Second}
	w := newWorld(t, cfg)
	var names []string
	for i := range 32 { // enough that some nodes are outside n0's view
		names = append(names, fmt.Sprint("n", i))
	}
	w.build(names...)
	a := w.peers["n0"]
	succ := a.r.Succ().Addr
	asks := func(from, to ring.Time) []ring.Time {
		var out []ring.Time
		for _, s := range w.log {
			if s.at >= from && s.at < to && s.msg.From.Addr == "n0" && s.msg.Type == MsgMLookup && s.msg.Target.Addr == "n0" {
				out = append(out, s.at)
			}
		}
		return out
	}
	from := w.now
	w.run(30 * time.Second)
	require.LessOrEqual(t, len(asks(from, w.now)), 30/4+1, "without a removal only the self-check asks (every 4–12 s)")

	// The successor crashes (stops, cut from everyone).
	w.cut = func(x, y string) bool { return x == succ || y == succ }
	_, ok := w.runUntil(30*time.Second, func() bool { return slices.Contains(passiveAddrs(a.r), succ) })
	require.True(t, ok, "n0 removed its successor")
	removedAt := w.now
	w.run(40 * time.Second)
	got := asks(removedAt, w.now)
	gamma := a.p.cfg.Period
	require.NotEmpty(t, got)
	require.LessOrEqual(t, got[0].Sub(removedAt), gamma, "the search starts at once")
	first := asks(removedAt, removedAt.Add(cfg.SearchFor))
	require.GreaterOrEqual(t, len(first), int(cfg.SearchFor/gamma)-1, "one ask per γ at first")
	for i := 1; i < len(got); i++ {
		require.GreaterOrEqual(t, got[i].Sub(got[i-1]), gamma, "at most one ask per γ")
	}
	// γ for 2 s, 2γ for 2 s, 4γ for 2 s, 8γ = CheckPeriod: the search is over, the self-check
	// asks every 4–12 s.
	late := asks(removedAt.Add(10*time.Second), w.now)
	require.LessOrEqual(t, len(late), 30/4+1, "back at the self-check's pace")
	require.NoError(t, w.ringOf(slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == succ })...))
	t.Logf("%d asks in the first %v, %d in the 30 s from 10 s after the removal", len(first), cfg.SearchFor, len(late))
}

// Malformed input is an error wrapping ErrMalformed, never a panic, and leaves the message
// untouched; odd but well-formed messages change nothing.
func TestMalformedMessages(t *testing.T) {
	good := Message{Type: MsgProbeReply, From: nodeRef("a", 1), To: nodeRef("b", 2), Nodes: []ring.NodeRef{nodeRef("c", 1)}, Hops: 3}
	enc, err := good.MarshalBinary()
	require.NoError(t, err)
	var back Message
	require.NoError(t, back.UnmarshalBinary(enc))
	require.Equal(t, good, back)

	cases := map[string][]byte{
		"empty":          nil,
		"bad version":    append([]byte{9}, enc[1:]...),
		"unknown type":   append([]byte{enc[0], 77}, enc[2:]...),
		"type zero":      append([]byte{enc[0], 0}, enc[2:]...),
		"trailing bytes": append(slices.Clone(enc), 0),
	}
	for i := 1; i < len(enc); i++ {
		cases[fmt.Sprint("truncated at ", i)] = enc[:i]
	}
	tooMany := Message{Type: MsgProbe}
	b, err := tooMany.MarshalBinary()
	require.NoError(t, err)
	b = b[:len(b)-2]      // drop the empty node count and the hops
	b = append(b, 200, 1) // a node count far beyond maxNodes (varint 200)
	cases["too many nodes"] = b
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			m := Message{Type: MsgProbe, Hops: 7}
			err := m.UnmarshalBinary(in)
			require.ErrorIs(t, err, ErrMalformed)
			require.Equal(t, Message{Type: MsgProbe, Hops: 7}, m, "left untouched")
		})
	}

	// Encoding refuses what decoding would refuse.
	_, err = (&Message{Type: 99}).MarshalBinary()
	require.Error(t, err)
	_, err = (&Message{Type: MsgProbeReply, Nodes: make([]ring.NodeRef, maxNodes+1)}).MarshalBinary()
	require.Error(t, err)

	// Well-formed but odd messages: no panic, no change to the ring.
	w := newWorld(t, quiet())
	w.build("a", "b")
	a := w.peers["a"]
	before := a.r.State()
	for _, m := range []Message{
		{Type: MsgMLookup},                     // no target
		{Type: MsgMLookup, Target: a.r.Self()}, // ourselves
		{Type: MsgTryMerge},                    // no neighbours
		{Type: MsgTryMerge, CPred: a.r.Self(), CSucc: a.r.Self()},
		{Type: MsgProbeReply},                       // from nobody
		{Type: MsgType(42), From: nodeRef("zz", 1)}, // unknown type
	} {
		require.NotPanics(t, func() { a.p.Step(w.now, m) })
	}
	w.flush(a)
	require.Equal(t, before.Succs, a.r.State().Succs)
	require.Equal(t, before.Pred, a.r.State().Pred)
}
