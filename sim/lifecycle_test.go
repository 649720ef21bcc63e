package sim

import (
	"testing"
	"time"

	"github.com/detrans/detrans/ring"
	"github.com/stretchr/testify/require"
)

func TestCrashDropsTrafficAndRestartKeepsDisk(t *testing.T) {
	ss, err := newScriptedSim(20, Link{Latency: 10 * time.Millisecond}, nil)
	require.NoError(t, err)
	startAll(t, ss, "a", "b")
	b1 := ss.cur("b")
	require.Equal(t, uint64(1), b1.boot.Inc)
	b1.boot.Disk.Files["state"] = []byte("persisted")
	b1.boot.Disk.Store = "my store"
	b1.wake = ss.Now().Add(time.Second) // b wants a tick at 1s: crash must cancel it
	require.NoError(t, ss.sendNow("b", "b", 'd', 0))
	ss.RunFor(time.Millisecond)

	// In flight to b when it crashes, and b restarts before the message would arrive.
	require.NoError(t, ss.sendNow("a", "b", 'd', 1))
	require.NoError(t, ss.Crash("b"))
	require.Nil(t, ss.Machine("b"))
	require.Equal(t, []string{"a"}, ss.Live())
	// Sent to b while it is down.
	require.NoError(t, ss.sendNow("a", "b", 'd', 2))
	ss.RunFor(5 * time.Millisecond)
	require.NoError(t, ss.Restart("b", "a"))
	b2 := ss.cur("b")
	require.NotSame(t, b1, b2)
	require.Equal(t, uint64(2), b2.boot.Inc)
	require.Equal(t, uint64(2), ss.Inc("b"))
	require.Same(t, b1.boot.Disk, b2.boot.Disk)
	require.Equal(t, "persisted", string(b2.boot.Disk.Files["state"]))
	require.Equal(t, "my store", b2.boot.Disk.Store)
	require.Equal(t, []string{"a"}, b2.boot.Contacts)
	require.NotEqual(t, b1.boot.Seed, b2.boot.Seed, "each incarnation has its own seed")
	require.Equal(t, ss.Now(), b2.boot.Now)

	// Sent to the new incarnation: delivered.
	require.NoError(t, ss.sendNow("a", "b", 'd', 3))
	ss.RunFor(2 * time.Second)

	require.Empty(t, b1.ticks, "the crashed machine's pending tick was dropped")
	require.Equal(t, 1, len(b1.got)) // only its own message, before the crash
	require.Equal(t, 1, len(b2.got))
	require.Equal(t, uint64(3), b2.got[0].msg.Seq)
	require.Equal(t, uint64(2), ss.Stats().Drops[DropNodeDown])
	require.Equal(t, []string{"a", "b"}, ss.Live())
}

func TestLifecycleErrors(t *testing.T) {
	ss, err := newScriptedSim(21, Link{}, nil)
	require.NoError(t, err)
	require.Error(t, ss.Start(""))
	require.NoError(t, ss.Start("a"))
	require.ErrorContains(t, ss.Start("a"), "already started")
	require.ErrorContains(t, ss.Restart("a"), "still running")
	require.ErrorContains(t, ss.Restart("x"), "never started")
	require.ErrorContains(t, ss.Crash("x"), "not running")
	require.NoError(t, ss.Stop("a"))
	require.ErrorContains(t, ss.Stop("a"), "not running")
	require.ErrorContains(t, ss.Do("a", func(Machine[toyMsg]) {}), "not running")
	require.NoError(t, ss.Restart("a"))
	require.Equal(t, []string{"a"}, ss.Nodes())

	_, err = New(Config[toyMsg]{})
	require.ErrorContains(t, err, "factory")
	_, err = New(Config[toyMsg]{New: func(string, Boot) Machine[toyMsg] { return nil }, Encode: toyEncode})
	require.ErrorContains(t, err, "Decode")

	s, err := New(Config[toyMsg]{New: func(string, Boot) Machine[toyMsg] { return nil }})
	require.NoError(t, err)
	require.ErrorContains(t, s.Start("a"), "no machine")
}

func TestMachineSeedsDependOnSeedAddrAndInc(t *testing.T) {
	seeds := func(simSeed int64) map[string]int64 {
		ss, err := newScriptedSim(simSeed, Link{}, nil)
		require.NoError(t, err)
		startAll(t, ss, "a", "b")
		return map[string]int64{"a": ss.cur("a").boot.Seed, "b": ss.cur("b").boot.Seed}
	}
	s1, s1again, s2 := seeds(1), seeds(1), seeds(2)
	require.Equal(t, s1, s1again)
	require.NotEqual(t, s1["a"], s1["b"])
	require.NotEqual(t, s1["a"], s2["a"])
}

func TestWakeScheduling(t *testing.T) {
	ss, err := newScriptedSim(22, Link{}, nil)
	require.NoError(t, err)
	startAll(t, ss, "a")
	a := ss.cur("a")

	// A wake in the past means as soon as possible: at Now after Do or Step, 1ns later after Tick.
	ss.RunFor(time.Second)
	require.NoError(t, ss.Do("a", func(Machine[toyMsg]) { a.wake = 5 }))
	ss.RunFor(time.Millisecond)
	sec := ring.Time(time.Second)
	require.Equal(t, []ring.Time{sec}, a.ticks)

	// A Tick that leaves its timer in the past is ticked again 1ns later, not in a loop at the
	// same instant.
	stuck := 3
	a.onRun = func(now ring.Time, s *scripted) {
		if stuck > 0 {
			stuck--
			s.wake = now
		}
	}
	require.NoError(t, ss.Do("a", func(Machine[toyMsg]) { a.wake = ss.Now() }))
	ss.RunFor(time.Millisecond)
	at := ring.Time(time.Second + time.Millisecond)
	require.Equal(t, []ring.Time{sec, at, at + 1, at + 2, at + 3}, a.ticks)
	a.onRun = nil

	// A new wake replaces the pending one; 0 cancels it.
	require.NoError(t, ss.Do("a", func(Machine[toyMsg]) { a.wake = ss.Now().Add(time.Second) }))
	require.NoError(t, ss.Do("a", func(Machine[toyMsg]) { a.wake = ss.Now().Add(2 * time.Second) }))
	start := ss.Now()
	ss.RunFor(3 * time.Second)
	require.Equal(t, start.Add(2*time.Second), a.ticks[len(a.ticks)-1])
	require.Equal(t, 6, len(a.ticks))
	require.NoError(t, ss.Do("a", func(Machine[toyMsg]) { a.wake = ss.Now().Add(time.Second) }))
	require.NoError(t, ss.Do("a", func(Machine[toyMsg]) { a.wake = 0 }))
	require.Zero(t, ss.Pending())
	ss.RunFor(3 * time.Second)
	require.Equal(t, 6, len(a.ticks))
}

func TestTicksAndMessagesAtTheSameTimeRunInScheduleOrder(t *testing.T) {
	ss, err := newScriptedSim(23, Link{Latency: 10 * time.Millisecond}, nil)
	require.NoError(t, err)
	startAll(t, ss, "a", "b")
	var order []string
	b := ss.cur("b")
	b.onRun = func(now ring.Time, _ *scripted) { order = append(order, "tick") }
	// The message is scheduled (for t=10ms) before the tick (also 10ms): it goes first.
	require.NoError(t, ss.sendNow("a", "b", 'd', 1))
	require.NoError(t, ss.Do("b", func(Machine[toyMsg]) { b.wake = ring.Time(10 * time.Millisecond) }))
	ss.At(ring.Time(10*time.Millisecond), func() { order = append(order, "call") })
	ss.RunFor(time.Second)
	require.Equal(t, 1, len(b.got))
	require.Equal(t, b.got[0].at, b.ticks[0])
	require.Equal(t, []string{"tick", "call"}, order)
}

func TestAtEveryAndRunUntil(t *testing.T) {
	ss, err := newScriptedSim(24, Link{}, nil)
	require.NoError(t, err)
	var at []ring.Time
	stop := ss.Every(100*time.Millisecond, func() { at = append(at, ss.Now()) })
	ss.At(ring.Time(350*time.Millisecond), stop)
	ss.RunFor(2 * time.Second)
	require.Equal(t, []ring.Time{ring.Time(100 * time.Millisecond), ring.Time(200 * time.Millisecond), ring.Time(300 * time.Millisecond)}, at)

	ran := ring.Time(-1)
	ss.At(0, func() { ran = ss.Now() }) // in the past: runs at Now
	ss.RunFor(0)
	require.Equal(t, ring.Time(2*time.Second), ran)

	n := 0
	ss.Every(time.Second, func() { n++ })
	ok := ss.RunUntil(func() bool { return n == 5 }, ring.Time(time.Hour))
	require.True(t, ok)
	require.Equal(t, ring.Time(7*time.Second), ss.Now())
	ok = ss.RunUntil(func() bool { return n == 100 }, ring.Time(20*time.Second))
	require.False(t, ok)
	require.Equal(t, ring.Time(20*time.Second), ss.Now())

	ok = ss.WaitFor(func() bool { return n >= 30 }, 5*time.Second, ring.Time(time.Hour))
	require.True(t, ok)
	require.Equal(t, ring.Time(35*time.Second), ss.Now(), "checked only every 5 s")
	require.Equal(t, 3, ss.RunEvents(3))
	require.Equal(t, ring.Time(38*time.Second), ss.Now())
}
