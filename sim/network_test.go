package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/detrans/detrans/ring"
	"github.com/stretchr/testify/require"
)

// blast sends n data messages from src to dst, one per millisecond of virtual time, and runs
// until every one has had time to arrive.
func blast(t *testing.T, ss *scriptedSim, src, dst string, n int) {
	t.Helper()
	for i := range n {
		ss.At(ss.Now().Add(time.Duration(i)*time.Millisecond), func() {
			require.NoError(t, ss.sendNow(src, dst, 'd', uint64(i)))
		})
	}
	ss.RunFor(time.Duration(n)*time.Millisecond + time.Second)
}

func startAll(t *testing.T, s interface{ Start(string, ...string) error }, addrs ...string) {
	t.Helper()
	for _, a := range addrs {
		require.NoError(t, s.Start(a))
	}
}

func TestUniformLatencyWithinBounds(t *testing.T) {
	link := Link{Latency: 10 * time.Millisecond, Jitter: 3 * time.Millisecond}
	ss, err := newScriptedSim(1, link, nil)
	require.NoError(t, err)
	startAll(t, ss, "a", "b")
	blast(t, ss, "a", "b", 2000)

	got := ss.cur("b").got
	require.Equal(t, 2000, len(got))
	lo, hi := time.Hour, time.Duration(0)
	for _, r := range got {
		d := r.at.Sub(r.msg.Sent)
		lo, hi = min(lo, d), max(hi, d)
	}
	require.GreaterOrEqual(t, lo, 7*time.Millisecond)
	require.LessOrEqual(t, hi, 13*time.Millisecond)
	// The jitter is really applied: 2000 samples cover most of the range.
	require.Less(t, lo, 7500*time.Microsecond)
	require.Greater(t, hi, 12500*time.Microsecond)
}

func TestLogNormalLatency(t *testing.T) {
	link := Link{Latency: 10 * time.Millisecond, Jitter: 5 * time.Millisecond, Dist: LogNormal, MaxDelay: 80 * time.Millisecond}
	ss, err := newScriptedSim(2, link, nil)
	require.NoError(t, err)
	startAll(t, ss, "a", "b")
	blast(t, ss, "a", "b", 2000)

	got := ss.cur("b").got
	require.Equal(t, 2000, len(got))
	below, slow := 0, 0
	for _, r := range got {
		d := r.at.Sub(r.msg.Sent)
		require.Greater(t, d, time.Duration(0))
		require.LessOrEqual(t, d, 80*time.Millisecond)
		if d < 10*time.Millisecond {
			below++
		}
		if d > 20*time.Millisecond {
			slow++
		}
	}
	require.InDelta(t, 1000, below, 120, "median should be the base latency")
	require.Greater(t, slow, 20, "log-normal has a tail on the slow side")
}

func TestLossRate(t *testing.T) {
	ss, err := newScriptedSim(3, Link{Latency: time.Millisecond, Loss: 0.2}, nil)
	require.NoError(t, err)
	startAll(t, ss, "a", "b")
	blast(t, ss, "a", "b", 5000)

	st := ss.Stats()
	got := len(ss.cur("b").got)
	require.InDelta(t, 4000, got, 150)
	require.Equal(t, uint64(5000-got), st.Drops[DropLoss])
	require.Equal(t, uint64(5000), ss.NodeStats("a").Sent)
	require.Equal(t, uint64(got), ss.NodeStats("b").Received)
	require.Equal(t, uint64(5000-got), ss.NodeStats("a").Dropped)
}

func TestDuplication(t *testing.T) {
	ss, err := newScriptedSim(4, Link{Latency: time.Millisecond, Jitter: time.Millisecond, Dup: 0.1}, nil)
	require.NoError(t, err)
	startAll(t, ss, "a", "b")
	blast(t, ss, "a", "b", 5000)

	st := ss.Stats()
	got := ss.cur("b").got
	require.InDelta(t, 5500, len(got), 150)
	require.Equal(t, uint64(len(got)-5000), st.Duplicated)
	seen := map[uint64]int{}
	for _, r := range got {
		seen[r.msg.Seq]++
	}
	require.Equal(t, 5000, len(seen), "every message arrives at least once")
	for seq, n := range seen {
		require.LessOrEqual(t, n, 2, "seq %d", seq)
	}
}

// inversions counts adjacent arrivals whose sequence numbers go backwards.
func inversions(got []recv) int {
	n := 0
	for i := 1; i < len(got); i++ {
		if got[i].msg.Seq < got[i-1].msg.Seq {
			n++
		}
	}
	return n
}

func TestReordering(t *testing.T) {
	// No jitter, no reorder: FIFO.
	ss, err := newScriptedSim(5, Link{Latency: 5 * time.Millisecond}, nil)
	require.NoError(t, err)
	startAll(t, ss, "a", "b")
	blast(t, ss, "a", "b", 1000)
	require.Zero(t, inversions(ss.cur("b").got))

	// Explicit reordering: about the configured share of messages is held back.
	ss, err = newScriptedSim(5, Link{Latency: 5 * time.Millisecond, Reorder: 0.1, ReorderDelay: 20 * time.Millisecond}, nil)
	require.NoError(t, err)
	startAll(t, ss, "a", "b")
	blast(t, ss, "a", "b", 1000)
	got := ss.cur("b").got
	require.Equal(t, 1000, len(got))
	late := 0
	for _, r := range got {
		if r.at.Sub(r.msg.Sent) > 5*time.Millisecond {
			late++
		}
		require.LessOrEqual(t, r.at.Sub(r.msg.Sent), 25*time.Millisecond)
	}
	require.InDelta(t, 100, late, 40)
	require.Greater(t, inversions(got), 30)
}

func TestSelfMessagesHaveZeroLatencyAndNoFaults(t *testing.T) {
	ss, err := newScriptedSim(6, Link{Latency: 5 * time.Millisecond, Loss: 1}, nil)
	require.NoError(t, err)
	startAll(t, ss, "a")
	ss.RunFor(time.Second)
	require.NoError(t, ss.Do("a", func(m Machine[toyMsg]) {
		s := m.(*scripted)
		s.send("a", 'd', 1, ss.Now())
		s.send("a", 'd', 2, ss.Now())
	}))
	ss.RunFor(0)
	got := ss.cur("a").got
	require.Equal(t, 2, len(got))
	require.Equal(t, []uint64{1, 2}, []uint64{got[0].msg.Seq, got[1].msg.Seq}, "in order")
	require.Equal(t, ring.Time(time.Second), got[0].at)
	require.Equal(t, ring.Time(time.Second), got[1].at)
}

func TestPartitionDropsCrossTrafficAndHealRestoresIt(t *testing.T) {
	ss, err := newScriptedSim(7, Link{Latency: 5 * time.Millisecond}, nil)
	require.NoError(t, err)
	addrs := []string{"a", "b", "c", "d"}
	startAll(t, ss, addrs...)
	all := func(seq uint64) {
		for _, x := range addrs {
			for _, y := range addrs {
				if x != y {
					require.NoError(t, ss.sendNow(x, y, 'd', seq))
				}
			}
		}
	}
	all(1)
	ss.RunFor(time.Second)
	ss.Partition([]string{"a", "b"}) // c, d stay in group 0
	require.Equal(t, 1, ss.Group("a"))
	require.Equal(t, 0, ss.Group("c"))
	require.False(t, ss.Reachable("a", "c"))
	require.True(t, ss.Reachable("a", "b"))
	all(2)
	ss.RunFor(time.Second)
	ss.Heal()
	all(3)
	ss.RunFor(time.Second)

	side := map[string]int{"a": 1, "b": 1, "c": 0, "d": 0}
	for _, y := range addrs {
		from := map[uint64][]string{}
		for _, r := range ss.cur(y).got {
			from[r.msg.Seq] = append(from[r.msg.Seq], r.msg.From)
		}
		require.Len(t, from[1], 3, "before the partition %s hears everyone", y)
		require.Len(t, from[3], 3, "after heal %s hears everyone", y)
		require.Len(t, from[2], 1, "during the partition %s hears only its side", y)
		require.Equal(t, side[y], side[from[2][0]])
	}
	require.Equal(t, uint64(8), ss.Stats().Drops[DropPartition])
}

func TestPartitionIsCheckedAtDelivery(t *testing.T) {
	ss, err := newScriptedSim(8, Link{Latency: 5 * time.Millisecond}, nil)
	require.NoError(t, err)
	startAll(t, ss, "a", "b")
	require.NoError(t, ss.sendNow("a", "b", 'd', 1))
	ss.After(time.Millisecond, func() { ss.Partition([]string{"a"}) })
	ss.RunFor(time.Second)
	require.Empty(t, ss.cur("b").got)
	require.Equal(t, uint64(1), ss.Stats().Drops[DropPartition])
}

func TestAsymmetricLink(t *testing.T) {
	ss, err := newScriptedSim(9, Link{Latency: 5 * time.Millisecond}, nil)
	require.NoError(t, err)
	startAll(t, ss, "a", "b")
	require.NoError(t, ss.SetLink("a", "b", Link{Down: true}))
	require.NoError(t, ss.SetLink("b", "a", Link{Latency: 50 * time.Millisecond}))
	require.NoError(t, ss.sendNow("a", "b", 'd', 1))
	require.NoError(t, ss.sendNow("b", "a", 'd', 2))
	ss.RunFor(time.Second)
	require.Empty(t, ss.cur("b").got)
	require.Equal(t, 1, len(ss.cur("a").got))
	require.Equal(t, ring.Time(50*time.Millisecond), ss.cur("a").got[0].at)
	require.Equal(t, uint64(1), ss.Stats().Drops[DropLinkDown])

	ss.ClearLink("a", "b")
	require.Equal(t, 5*time.Millisecond, ss.LinkOf("a", "b").Latency)
	require.NoError(t, ss.sendNow("a", "b", 'd', 3))
	ss.RunFor(time.Second)
	require.Equal(t, 1, len(ss.cur("b").got))
}

func TestFlappingLink(t *testing.T) {
	ss, err := newScriptedSim(10, Link{Latency: time.Millisecond}, nil)
	require.NoError(t, err)
	startAll(t, ss, "a", "b")
	// Down for the first 300 ms of every second.
	require.NoError(t, ss.SetLink("a", "b", Link{Latency: time.Millisecond, FlapPeriod: time.Second, FlapDown: 300 * time.Millisecond}))
	blast(t, ss, "a", "b", 3000)
	// 900 messages are sent while the link is down; the 3 sent in the last millisecond before
	// each down phase arrive when it has begun and are dropped at delivery.
	got := ss.cur("b").got
	require.Equal(t, 2097, len(got))
	for _, r := range got {
		require.GreaterOrEqual(t, int64(r.msg.Sent)%int64(time.Second), int64(300*time.Millisecond))
		require.Less(t, int64(r.msg.Sent)%int64(time.Second), int64(999*time.Millisecond))
	}
	require.Equal(t, uint64(903), ss.Stats().Drops[DropLinkDown])
}

func TestLinkValidation(t *testing.T) {
	for _, l := range []Link{
		{Loss: 1.5}, {Dup: -0.1}, {Latency: -1}, {FlapPeriod: time.Second, FlapDown: 2 * time.Second}, {Dist: 9},
	} {
		_, err := New(Config[toyMsg]{New: func(string, Boot) Machine[toyMsg] { return nil }, Link: l})
		require.Error(t, err, "%+v", l)
	}
	ss, err := newScriptedSim(1, Link{}, nil)
	require.NoError(t, err)
	require.Equal(t, DefaultLink(), ss.LinkOf("x", "y"), "zero Link means the default")
	require.Error(t, ss.SetLink("a", "b", Link{Reorder: 2}))
	require.Error(t, ss.SetDefaultLink(Link{Loss: -1}))
}

func TestCodecCrossesTheWireAsBytes(t *testing.T) {
	ss, err := newScriptedSim(11, Link{Latency: time.Millisecond}, func(c *Config[toyMsg]) {
		c.Encode, c.Decode = toyEncode, toyDecode
	})
	require.NoError(t, err)
	startAll(t, ss, "a", "b")
	require.NoError(t, ss.sendNow("a", "b", 'd', 7))
	require.NoError(t, ss.sendNow("a", "b", 'z', 8)) // decodes to an error
	require.NoError(t, ss.sendNow("a", "b", 'e', 9)) // fails to encode
	ss.RunFor(time.Second)
	got := ss.cur("b").got
	require.Equal(t, 1, len(got))
	require.Equal(t, toyMsg{From: "a", To: "b", Kind: 'd', Seq: 7}, got[0].msg)
	st := ss.Stats()
	require.Equal(t, uint64(1), st.Drops[DropDecode])
	require.Equal(t, uint64(1), st.Drops[DropEncode])
	require.Positive(t, ss.NodeStats("a").BytesSent)
}

func TestBadSourceAndUnknownDestination(t *testing.T) {
	ss, err := newScriptedSim(12, Link{Latency: time.Millisecond}, nil)
	require.NoError(t, err)
	startAll(t, ss, "a", "b")
	require.NoError(t, ss.Do("a", func(m Machine[toyMsg]) {
		s := m.(*scripted)
		s.out = append(s.out, toyMsg{From: "b", To: "b", Kind: 'd'}) // claims to be b
		s.send("nobody", 'd', 1, 0)
	}))
	ss.RunFor(time.Second)
	require.Empty(t, ss.cur("b").got)
	st := ss.Stats()
	require.Equal(t, uint64(1), st.Drops[DropBadSrc])
	require.Equal(t, uint64(1), st.Drops[DropUnknownDst])
}

func TestCountersPerNodeAndKind(t *testing.T) {
	ss, err := newScriptedSim(13, Link{Latency: time.Millisecond}, nil)
	require.NoError(t, err)
	startAll(t, ss, "a", "b", "c")
	for i := range 5 {
		require.NoError(t, ss.sendNow("a", "b", 'p', uint64(i)))
	}
	require.NoError(t, ss.sendNow("a", "c", 'd', 0))
	require.NoError(t, ss.sendNow("b", "c", 'd', 0))
	ss.RunFor(time.Second)

	na := ss.NodeStats("a")
	require.Equal(t, uint64(6), na.Sent)
	require.Equal(t, map[string]uint64{"p": 5, "d": 1}, na.SentByKind)
	require.Equal(t, uint64(2), ss.NodeStats("c").Received)
	ks := ss.KindStats()
	require.Equal(t, KindStats{Sent: 5, Delivered: 5}, ks["p"])
	require.Equal(t, KindStats{Sent: 2, Delivered: 2}, ks["d"])
	require.Equal(t, NodeStats{}, ss.NodeStats("zzz"))
	require.Equal(t, fmt.Sprint(uint64(7)), fmt.Sprint(ss.Stats().Delivered))
}
