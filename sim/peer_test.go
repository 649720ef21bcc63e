package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/detrans/detrans/core"
	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/txn"
	"github.com/stretchr/testify/require"
)

// awaitTxn runs s until p (the current incarnation of addr) reports the end of request id.
func awaitTxn(t *testing.T, s *Sim[core.Msg], addr string, id uint64) txn.Event {
	t.Helper()
	var ev txn.Event
	found := func() bool {
		p := s.Machine(addr).(*Peer)
		for _, e := range p.TxnEvents {
			if e.ReqID == id && (e.Kind == txn.EvReadDone || e.Kind == txn.EvCommitDone) {
				ev = e
				return true
			}
		}
		return false
	}
	require.True(t, s.RunUntil(found, s.Now().Add(20*time.Second)), "request %d on %s: no answer", id, addr)
	return ev
}

func TestPeerCommitThenReadElsewhere(t *testing.T) {
	cfg := core.Config{Txn: txn.Config{Placement: txn.Placement{Groups: 8, Replicas: 3}}}
	s := MustNew(PeerConfig(7, cfg, Link{Latency: 5 * time.Millisecond, Jitter: 2 * time.Millisecond}, "p0"))
	require.NoError(t, s.Start("p0"))
	for i := 1; i < 5; i++ {
		s.At(ring.Time(time.Duration(i)*100*time.Millisecond), func() {
			require.NoError(t, s.Start(fmt.Sprint("p", i), "p0"))
		})
	}
	s.RunFor(time.Second)
	require.Len(t, s.Live(), 5)
	var last error
	ok := s.WaitFor(func() bool { last = CheckPeersSettled(s); return last == nil }, 250*time.Millisecond, ring.Time(time.Minute))
	require.True(t, ok, "peers did not settle: %v", last)
	t.Logf("settled at %v", time.Duration(s.Now()))

	key := []byte("greeting")
	var id uint64
	require.NoError(t, s.Do("p1", func(m Machine[core.Msg]) { id = m.(*Peer).P.Read(s.Now(), key) }))
	r := awaitTxn(t, s, "p1", id)
	require.NoError(t, r.Err)
	require.False(t, r.Found)
	require.NoError(t, s.Do("p1", func(m Machine[core.Msg]) {
		id = m.(*Peer).P.Commit(s.Now(), txn.TxSpec{Ops: []txn.Op{{Key: key, ReadVersion: r.Version, Write: true, Value: []byte("hello")}}})
	}))
	require.NoError(t, awaitTxn(t, s, "p1", id).Err)
	require.NoError(t, s.Do("p3", func(m Machine[core.Msg]) { id = m.(*Peer).P.Read(s.Now(), key) }))
	r = awaitTxn(t, s, "p3", id)
	require.NoError(t, r.Err)
	require.True(t, r.Found)
	require.Equal(t, "hello", string(r.Value))
	require.Equal(t, r.Version, uint64(1))

	// A crashed and restarted peer keeps what it persisted: it restores its views from its
	// disk and serves again.
	require.NoError(t, s.Crash("p3"))
	s.RunFor(500 * time.Millisecond)
	require.NoError(t, s.Restart("p3", "p0"))
	require.Equal(t, uint64(2), s.Machine("p3").(*Peer).Inc)
	ok = s.WaitFor(func() bool { last = CheckPeersSettled(s); return last == nil }, 250*time.Millisecond, s.Now().Add(time.Minute))
	require.True(t, ok, "peers did not settle after the restart: %v", last)
	require.NoError(t, s.Do("p3", func(m Machine[core.Msg]) { id = m.(*Peer).P.Read(s.Now(), key) }))
	r = awaitTxn(t, s, "p3", id)
	require.NoError(t, r.Err)
	require.Equal(t, "hello", string(r.Value))
	require.Positive(t, s.KindStats()["txn/prepare"].Sent)
	for _, p := range Peers(s) {
		require.NoError(t, p.Err())
	}
}
