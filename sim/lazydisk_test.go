package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/detrans/detrans/core"
	"github.com/detrans/detrans/txn"
)

// lazySolo is a space of one founder peer on a lazy disk with syncs of exactly 2 ms: it commits
// alone (it holds every slot of every group), so what its disk does decides everything.
func lazySolo(t *testing.T, seed int64) (*Sim[core.Msg], *LazyDisk) {
	t.Helper()
	cfg := core.Config{Txn: txn.Config{Placement: txn.Placement{Groups: 4, Replicas: 3}}}
	s := MustNew(PeerConfig(seed, cfg, Link{Latency: 5 * time.Millisecond}, "p0"))
	l, err := UseLazyDisk(s, LazyDiskConfig{SyncMin: 2 * time.Millisecond, SyncMax: 2 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, s.Start("p0"))
	s.RunFor(time.Second)
	return s, l
}

func soloPeer(s *Sim[core.Msg]) *Peer { return s.Machine("p0").(*Peer) }

// commitDone is p's commit-done event for request id, if it was released.
func commitDone(p *Peer, id uint64) (txn.Event, bool) {
	for _, e := range p.TxnEvents {
		if e.ReqID == id && e.Kind == txn.EvCommitDone {
			return e, true
		}
	}
	return txn.Event{}, false
}

func soloCommit(t *testing.T, s *Sim[core.Msg], key, val string) uint64 {
	t.Helper()
	var id uint64
	require.NoError(t, s.Do("p0", func(m Machine[core.Msg]) {
		id = m.(*Peer).P.Commit(s.Now(), txn.TxSpec{Ops: []txn.Op{{Key: []byte(key), Write: true, Value: []byte(val)}}})
	}))
	return id
}

func soloRead(t *testing.T, s *Sim[core.Msg], key string) txn.Event {
	t.Helper()
	var id uint64
	require.NoError(t, s.Do("p0", func(m Machine[core.Msg]) { id = m.(*Peer).P.Read(s.Now(), []byte(key)) }))
	return awaitTxn(t, s, "p0", id)
}

// The acknowledgement of a commit waits for the sync that makes its acceptance durable; the
// applied decision is synced lazily, within LazySync.
func TestLazyDiskAcknowledgesAfterSync(t *testing.T) {
	s, l := lazySolo(t, 1)
	p := soloPeer(s)
	id := soloCommit(t, s, "k", "v1")
	s.RunFor(time.Millisecond) // the commit's writes are made, their sync is running
	_, acked := commitDone(p, id)
	require.False(t, acked, "acknowledged before the sync completed")
	require.Positive(t, l.Unsynced("p0"))
	ev := awaitTxn(t, s, "p0", id)
	require.NoError(t, ev.Err)
	require.Positive(t, l.Syncs)
	// The decision's own write waits for no one: it is synced lazily.
	require.Equal(t, 1, l.Unsynced("p0"), "the applied decision is written, not synced")
	s.RunFor(60 * time.Millisecond)
	require.Zero(t, l.Unsynced("p0"), "the lazy sync took it")
}

// A power loss takes back the writes not yet synced; a process crash does not.
func TestLazyDiskCrashKinds(t *testing.T) {
	for _, c := range []struct {
		name    string
		machine bool
		found   bool
	}{{"process crash keeps unsynced writes", false, true}, {"machine crash loses them", true, false}} {
		t.Run(c.name, func(t *testing.T) {
			s, l := lazySolo(t, 2)
			id := soloCommit(t, s, "k", "v1")
			s.RunFor(time.Millisecond)
			_, acked := commitDone(soloPeer(s), id)
			require.False(t, acked)
			n := l.Unsynced("p0")
			require.Positive(t, n)
			if c.machine {
				lost, err := l.MachineCrash("p0", 0)
				require.NoError(t, err)
				require.Equal(t, n, lost)
			} else {
				require.NoError(t, s.Crash("p0"))
			}
			s.RunFor(100 * time.Millisecond)
			require.NoError(t, s.Restart("p0"))
			s.RunFor(time.Second)
			require.NoError(t, soloPeer(s).Err())
			r := soloRead(t, s, "k")
			require.NoError(t, r.Err)
			require.Equal(t, c.found, r.Found, "after the restart: %+v", r)
			if c.found {
				require.Equal(t, "v1", string(r.Value))
				require.Equal(t, n, l.Recovered)
			}
		})
	}
}

// A power loss can keep a prefix of the unsynced writes (the kernel wrote some back), and hits
// a peer that is down after a process crash too.
func TestLazyDiskMachineCrashKeepsPrefixAndHitsDownPeers(t *testing.T) {
	s, l := lazySolo(t, 3)
	soloCommit(t, s, "k", "v1")
	s.RunFor(time.Millisecond)
	n := l.Unsynced("p0")
	require.Positive(t, n)
	require.NoError(t, s.Crash("p0"))
	lost, err := l.MachineCrash("p0", 1)
	require.NoError(t, err)
	require.Equal(t, n-1, lost)
	require.Zero(t, l.Unsynced("p0"))
	_, err = l.MachineCrash("nobody", 0)
	require.Error(t, err)
}

// A lazy-disk run replays from its seed; it is a different trace from the synchronous disk's.
func TestLazyDiskReplays(t *testing.T) {
	run := func(seed int64, lazy bool) [32]byte {
		cfg := core.Config{Txn: txn.Config{Placement: txn.Placement{Groups: 8, Replicas: 3}}}
		s := MustNew(PeerConfig(seed, cfg, Link{Latency: 5 * time.Millisecond, Jitter: 2 * time.Millisecond}, "p0"))
		var l *LazyDisk
		if lazy {
			var err error
			l, err = UseLazyDisk(s, LazyDiskConfig{})
			require.NoError(t, err)
		}
		require.NoError(t, s.Start("p0"))
		for i, a := range []string{"p1", "p2", "p3"} {
			s.At(s.Now().Add(time.Duration(i+1)*100*time.Millisecond), func() { require.NoError(t, s.Start(a, "p0")) })
		}
		s.RunFor(3 * time.Second)
		s.Every(50*time.Millisecond, func() {
			_ = s.Do("p1", func(m Machine[core.Msg]) {
				m.(*Peer).P.Commit(s.Now(), txn.TxSpec{Ops: []txn.Op{{Key: []byte("k"), Write: true, Value: []byte("v")}}})
			})
		})
		s.RunFor(time.Second)
		if lazy {
			_, err := l.MachineCrash("p2", 0)
			require.NoError(t, err)
			s.RunFor(time.Second)
			require.NoError(t, s.Restart("p2", "p0"))
		}
		s.RunFor(2 * time.Second)
		return s.TraceHash()
	}
	a, b := run(5, true), run(5, true)
	require.Equal(t, a, b)
	require.NotEqual(t, a, run(6, true))
	require.NotEqual(t, a, run(5, false))
}

func TestUseLazyDiskRefusesStartedSims(t *testing.T) {
	s, _ := lazySolo(t, 4)
	_, err := UseLazyDisk(s, LazyDiskConfig{})
	require.Error(t, err)
	s2 := MustNew(PeerConfig(1, core.Config{}, Link{}, "p0"))
	_, err = UseLazyDisk(s2, LazyDiskConfig{SyncMin: 2 * time.Millisecond, SyncMax: time.Millisecond})
	require.Error(t, err)
}
