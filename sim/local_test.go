package sim

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/detrans/detrans/core"
	"github.com/detrans/detrans/local"
	"github.com/detrans/detrans/sim/simtest"
	"github.com/detrans/detrans/txn"
	"github.com/stretchr/testify/require"
)

// appendRule merges by re-applying the op (",i") on top of the fresh value; it counts calls.
func appendRule(calls *int) local.Rebaser {
	return func(in local.Intent, fresh map[string]local.Value) local.Rebased {
		*calls++
		k := in.Writes[0].Key
		v := string(fresh[k].Data) + string(in.Op)
		return local.Rebased{Intent: &local.Intent{Kind: in.Kind, Op: in.Op, Writes: []local.Write{{Key: k, Value: []byte(v)}}}, Notice: "merged"}
	}
}

// localWorld runs full peers keeping mirrors, with the "append" rule registered on each.
func localWorld(t *testing.T, seed int64, n int) (*Sim[core.Msg], []string, *int) {
	calls := new(int)
	cfg := core.Config{Local: local.Config{Mirror: true}, Txn: txn.Config{Placement: txn.Placement{Groups: 16, Replicas: 3}}}
	pc := PeerConfig(seed, cfg, Link{Latency: 3 * time.Millisecond, Jitter: 2 * time.Millisecond, Loss: 0.005, Dup: 0.005}, "n0")
	factory := pc.New
	pc.New = func(addr string, boot Boot) Machine[core.Msg] {
		m := factory(addr, boot)
		if p, ok := m.(*Peer); ok && p.P != nil {
			// Before any message arrives: the outbox cannot have met a conflict yet.
			p.P.Local.Register("append", appendRule(calls))
		}
		return m
	}
	s := MustNew(pc)
	names := []string{"n0"}
	require.NoError(t, s.Start("n0"))
	for i := 1; i < n; i++ {
		name := fmt.Sprint("n", i)
		names = append(names, name)
		require.NoError(t, s.Start(name, names[:i]...))
	}
	var last error
	ok := s.WaitFor(func() bool { last = CheckPeersSettled(s); return last == nil }, time.Second, s.Now().Add(5*time.Minute))
	require.True(t, ok, "not settled: %v", last)
	return s, names, calls
}

func peerOf(s *Sim[core.Msg], addr string) *Peer { return s.Machine(addr).(*Peer) }

// edit appends ",i" to key in addr's local view (through Do, so the output is sent).
func edit(t *testing.T, s *Sim[core.Msg], addr, key string, i int) {
	require.NoError(t, s.Do(addr, func(m Machine[core.Msg]) {
		p := m.(*Peer)
		v := p.P.Local.Get(key)
		op := fmt.Sprintf(",%d", i)
		b, err := p.P.LocalEdit(s.Now(), local.Intent{Kind: "append", Op: []byte(op), Writes: []local.Write{{Key: key, Value: append(v.Data, op...)}}})
		require.NoError(t, err)
		if b != nil {
			require.NoError(t, p.Store.Apply(context.Background(), b)) // the driver persists the outbox entry
		}
	}))
}

// TestOfflineEditsInTheSimulator: a peer cut off from every other edits 500 times, crashes and
// restarts twice meanwhile, then the partition heals: every edit commits exactly once, in order,
// and the outbox empties.
func TestOfflineEditsInTheSimulator(t *testing.T) {
	simtest.Seeds(t, 3, func(t *testing.T, seed int64) {
		s, names, _ := localWorld(t, seed, 5)
		cut := names[4]
		s.Partition([]string{cut}, names[:4])
		const edits, keys = 500, 5
		for i := range edits {
			edit(t, s, cut, fmt.Sprint("log/", i%keys), i)
			s.RunFor(20 * time.Millisecond)
			if i == 150 || i == 330 {
				require.NoError(t, s.Crash(cut))
				s.RunFor(time.Second)
				require.NoError(t, s.Restart(cut, names[0]))
				s.RunFor(time.Second)
			}
		}
		require.Equal(t, edits, peerOf(s, cut).P.Local.Status().Pending, "nothing committed while cut off")
		require.True(t, strings.HasSuffix(string(peerOf(s, cut).P.Local.Get("log/4").Data), ",499"))
		s.Heal()
		ok := s.WaitFor(func() bool { return peerOf(s, cut).P.Local.Status().Pending == 0 }, time.Second, s.Now().Add(5*time.Minute))
		require.True(t, ok, "outbox did not drain: %+v", peerOf(s, cut).P.Local.Status())
		w := newWriter(s)
		for k := range keys {
			want := ""
			for i := k; i < edits; i += keys {
				want += fmt.Sprintf(",%d", i)
			}
			got, found := w.get(t, names[1], fmt.Sprint("log/", k))
			require.True(t, found)
			require.Equal(t, want, got, "log/%d: each edit once, in order", k)
		}
	})
}

// TestPartitionedEditorsConverge: two peers on opposite sides of a partition append to the same
// keys; after the heal every peer's view is the same, holds every edit, and the merge rule saw
// the conflicts.
func TestPartitionedEditorsConverge(t *testing.T) {
	simtest.Seeds(t, 3, func(t *testing.T, seed int64) {
		s, names, calls := localWorld(t, seed, 5)
		a, b := names[1], names[4]
		s.Partition([]string{a, names[0]}, []string{b, names[2], names[3]})
		for i := range 30 {
			edit(t, s, a, fmt.Sprint("shared/", i%3), 2*i)
			edit(t, s, b, fmt.Sprint("shared/", i%3), 2*i+1)
			s.RunFor(100 * time.Millisecond)
		}
		s.Heal()
		var last string
		ok := s.WaitFor(func() bool {
			for _, n := range names {
				if peerOf(s, n).P.Local.Status().Pending > 0 {
					last = n + " has pending edits"
					return false
				}
			}
			for k := range 3 {
				key := fmt.Sprint("shared/", k)
				want := string(peerOf(s, a).P.Local.Get(key).Data)
				for _, n := range names {
					if got := string(peerOf(s, n).P.Local.Get(key).Data); got != want {
						last = fmt.Sprintf("%s: %s has %q, %s has %q", key, n, got, a, want)
						return false
					}
				}
			}
			return true
		}, time.Second, s.Now().Add(5*time.Minute))
		require.True(t, ok, "no convergence: %s", last)
		for i := range 60 {
			key := fmt.Sprint("shared/", (i/2)%3)
			require.Contains(t, string(peerOf(s, names[0]).P.Local.Get(key).Data)+",", fmt.Sprintf(",%d,", i), "edit %d kept", i)
		}
		require.Positive(t, *calls, "the merge rule saw the conflicts")
	})
}
