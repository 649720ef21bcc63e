package local

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/store"
	"github.com/detrans/detrans/txn"
	"github.com/stretchr/testify/require"
)

// fakeStore is a committed key space shared by several peers' outboxes: requests are answered
// when the test calls deliver, so every interleaving is explicit. Commits check every op's
// version like txn does; offline peers get ErrNoQuorum.
type fakeStore struct {
	data    map[string]Value
	log     []string // committed keys in order
	commits map[string][]string
}

type fakePeer struct {
	fs      *fakeStore
	name    string
	online  bool
	next    uint64
	pending []func() txn.Event
	subs    bool
	m       *Machine
	st      *store.Store
	changes []Change
}

func newFake() *fakeStore {
	return &fakeStore{data: map[string]Value{}, commits: map[string][]string{}}
}

func (fs *fakeStore) peer(t *testing.T, name string) *fakePeer {
	p := &fakePeer{fs: fs, name: name, online: true, st: store.NewMemory()}
	p.boot(t)
	return p
}

// boot (re)creates the machine from the peer's persisted state: a restart.
func (p *fakePeer) boot(t *testing.T) {
	p.m = New(Config{Self: p.name, Mirror: true, RetryMin: time.Millisecond, RetryMax: time.Millisecond}, p, 1)
	require.NoError(t, p.m.Restore(context.Background(), p.st))
	p.m.Register("append", appendRebaser)
	p.pending = nil
	p.m.Start(0)
	p.flush(t)
}

func (p *fakePeer) Placement() txn.Placement { return txn.Placement{Groups: 1, Replicas: 1} }
func (p *fakePeer) Subscribe(ring.Time, int) { p.subs = true }

func (p *fakePeer) Read(now ring.Time, key []byte) uint64 {
	p.next++
	id, k := p.next, string(key)
	p.pending = append(p.pending, func() txn.Event {
		if !p.online {
			return txn.Event{Kind: txn.EvReadDone, ReqID: id, Err: txn.ErrNoQuorum}
		}
		v := p.fs.data[k]
		return txn.Event{Kind: txn.EvReadDone, ReqID: id, Key: key, Value: v.Data, Version: v.Version, Found: v.Data != nil}
	})
	return id
}

func (p *fakePeer) Commit(now ring.Time, spec txn.TxSpec) uint64 {
	p.next++
	id := p.next
	p.pending = append(p.pending, func() txn.Event {
		ev := txn.Event{Kind: txn.EvCommitDone, ReqID: id}
		if !p.online {
			ev.Err = txn.ErrNoQuorum
			return ev
		}
		for _, op := range spec.Ops {
			if p.fs.data[string(op.Key)].Version != op.ReadVersion {
				ev.Err = txn.ErrConflict
				return ev
			}
		}
		for _, op := range spec.Ops {
			if !op.Write {
				continue
			}
			k := string(op.Key)
			v := Value{Version: p.fs.data[k].Version + 1}
			if !op.Delete {
				v.Data = op.Value
			}
			p.fs.data[k] = v
			p.fs.log = append(p.fs.log, k)
			p.fs.commits[k] = append(p.fs.commits[k], string(op.Value))
		}
		return ev
	})
	return id
}

// deliver answers every pending request (and any they cause) and feeds committed changes to
// the mirror, like the change feed would.
func (p *fakePeer) deliver(t *testing.T) {
	for rounds := 0; len(p.pending) > 0; rounds++ {
		require.Less(t, rounds, 10000, "requests never settle")
		f := p.pending[0]
		p.pending = p.pending[1:]
		p.m.OnEvent(0, f())
		p.flush(t)
	}
	if p.online {
		for k, v := range p.fs.data {
			p.m.OnChange(0, txn.Event{Kind: txn.EvChange, Key: []byte(k), Value: v.Data, Version: v.Version, Found: v.Data != nil})
		}
		p.flush(t)
	}
}

// sync delivers until the outbox stops moving (backoffs are 1 ms: tick past them).
func (p *fakePeer) sync(t *testing.T) {
	for range 100 {
		p.deliver(t)
		p.m.Tick(ring.Time(1 << 62))
		p.flush(t)
		if len(p.pending) == 0 {
			return
		}
	}
}

func (p *fakePeer) flush(t *testing.T) {
	out := p.m.Ready()
	if out.Persist != nil {
		require.NoError(t, p.st.Apply(context.Background(), out.Persist))
	}
	p.changes = append(p.changes, out.Changes...)
}

func (p *fakePeer) local(t *testing.T, kind, key, val string) {
	require.NoError(t, p.m.Local(0, Intent{Kind: kind, Op: []byte(val), Writes: []Write{{Key: key, Value: []byte(val)}}}))
	p.flush(t)
}

func (p *fakePeer) view(key string) string { return string(p.m.Get(key).Data) }

// appendRebaser re-applies the op on top of the fresh value: both writers' work survives.
func appendRebaser(in Intent, fresh map[string]Value) Rebased {
	k := in.Writes[0].Key
	v := string(fresh[k].Data) + "+" + string(in.Op)
	return Rebased{Intent: &Intent{Kind: in.Kind, Op: in.Op, Writes: []Write{{Key: k, Value: []byte(v)}}}, Notice: "merged " + v}
}

func TestLocalShowsAtOnceAndCommits(t *testing.T) {
	fs := newFake()
	a := fs.peer(t, "a")
	a.local(t, "append", "x", "1")
	require.Equal(t, "1", a.view("x"))
	require.Equal(t, 1, a.m.Status().Pending)
	a.sync(t)
	require.Equal(t, 0, a.m.Status().Pending)
	require.Equal(t, "1", string(fs.data["x"].Data))
	require.Empty(t, a.changes, "own edits are not echoed")
}

func TestOfflineEditsWaitAndDrainInOrderExactlyOnceAcrossRestarts(t *testing.T) {
	fs := newFake()
	a := fs.peer(t, "a")
	a.online = false
	for i := range 500 {
		k := "k" + strconv.Itoa(i%7)
		a.local(t, "append", k, a.view(k)+","+strconv.Itoa(i))
		if i == 150 || i == 320 {
			a.sync(t) // tries while offline, fails, waits
			a.boot(t) // the app restarts
		}
	}
	a.sync(t)
	st := a.m.Status()
	require.False(t, st.Online)
	require.Equal(t, 500, st.Pending)
	require.True(t, strings.HasSuffix(a.view("k2"), ",499"), "the view shows pending edits, also after restarts")

	a.online = true
	a.sync(t)
	require.Equal(t, 0, a.m.Status().Pending)
	require.True(t, a.m.Status().Online)
	for k := range 7 {
		want := ""
		for i := k; i < 500; i += 7 {
			want += "," + strconv.Itoa(i)
		}
		require.Equal(t, want, string(fs.data["k"+strconv.Itoa(k)].Data), "every edit of k%d committed once, in order", k)
	}
	// Each transaction also writes the marker: the 500 edits went in a few batches.
	require.LessOrEqual(t, len(fs.commits[a.m.markerKey()]), 500/maxBatchEntries+1)
}

// TestBurstCommitsInFewTransactions: edits made faster than they commit go out together, and
// the versions the batch leaves in the mirror are right (the next edit commits without a
// conflict).
func TestBurstCommitsInFewTransactions(t *testing.T) {
	fs := newFake()
	a := fs.peer(t, "a")
	for i := range 300 {
		k := "k" + strconv.Itoa(i%3)
		a.local(t, "append", k, a.view(k)+","+strconv.Itoa(i))
	}
	a.sync(t)
	require.Zero(t, a.m.Status().Pending)
	require.Equal(t, []string{"128", "256", "300"}, fs.commits[a.m.markerKey()], "full batches (the outbox waited for the marker read)")
	require.Equal(t, fs.data["k1"], a.m.Get("k1"), "the mirror has the committed value and version")
	a.local(t, "append", "k1", a.view("k1")+",last")
	a.sync(t)
	require.True(t, strings.HasSuffix(string(fs.data["k1"].Data), ",298,last"))
	require.Zero(t, a.m.Status().Merged, "no conflict with our own batch")
}

// TestConflictInABatchIsFoundAndRebasedAlone: one intent of a batch conflicts; the batch is
// retried one intent at a time, so only that one is rebased and the rule sees it.
func TestConflictInABatchIsFoundAndRebasedAlone(t *testing.T) {
	fs := newFake()
	a, b := fs.peer(t, "a"), fs.peer(t, "b")
	b.local(t, "append", "x", "B")
	b.sync(t)
	a.online = false
	a.local(t, "append", "y", "1")
	a.local(t, "append", "x", "A") // based on nothing: conflicts with B
	a.local(t, "append", "z", "2")
	a.online = true
	a.sync(t)
	require.Equal(t, []string{"B", "B+A"}, fs.commits["x"])
	require.Equal(t, []string{"1"}, fs.commits["y"])
	require.Equal(t, []string{"2"}, fs.commits["z"])
	require.Equal(t, 1, a.m.Status().Merged)
	require.Zero(t, a.m.Status().Pending)
}

func TestCrashAfterCommitBeforeForgettingDoesNotCommitTwice(t *testing.T) {
	fs := newFake()
	a := fs.peer(t, "a")
	a.local(t, "append", "x", "1")
	// Run the commit at the store but lose the answer: the process dies first.
	for len(a.pending) > 0 {
		f := a.pending[0]
		a.pending = a.pending[1:]
		if ev := f(); ev.Kind == txn.EvCommitDone {
			break
		} else {
			a.m.OnEvent(0, ev)
			a.flush(t)
		}
	}
	require.Equal(t, []string{"1"}, fs.commits["x"])
	a.boot(t)
	require.Equal(t, 1, a.m.Status().Pending)
	a.sync(t)
	require.Equal(t, 0, a.m.Status().Pending)
	require.Equal(t, []string{"1"}, fs.commits["x"], "the marker showed it committed already")
}

func TestConflictRebasesAndReportsTheMerge(t *testing.T) {
	fs := newFake()
	a, b := fs.peer(t, "a"), fs.peer(t, "b")
	a.local(t, "append", "x", "A")
	b.local(t, "append", "x", "B")
	a.sync(t)
	b.sync(t)
	require.Equal(t, "A+B", string(fs.data["x"].Data))
	require.Equal(t, 1, b.m.Status().Merged)
	require.Equal(t, []Change{{Key: "x", Notice: "merged A+B"}}, b.changes)
	a.sync(t)
	require.Equal(t, "A+B", a.view("x"), "the other edit reaches a's view through the feed")
	require.Equal(t, []Change{{Key: "x"}}, a.changes)
}

func TestLaterIntentThatSawARebasedOneIsRebasedToo(t *testing.T) {
	fs := newFake()
	a, b := fs.peer(t, "a"), fs.peer(t, "b")
	b.local(t, "append", "x", "B")
	b.sync(t)
	a.online = false
	a.local(t, "append", "x", "1") // based on nothing: conflicts with B
	a.local(t, "append", "x", "2") // based on a's own "1"
	a.online = true
	a.sync(t)
	require.Equal(t, []string{"B", "B+1", "B+1+2"}, fs.commits["x"])
}

func TestMissingRuleDropsWithNotice(t *testing.T) {
	fs := newFake()
	a, b := fs.peer(t, "a"), fs.peer(t, "b")
	b.local(t, "append", "x", "B")
	b.sync(t)
	a.online = false
	a.local(t, "unknown-kind", "x", "mine")
	a.online = true
	a.sync(t)
	st := a.m.Status()
	require.Equal(t, 1, st.Dropped)
	require.Equal(t, 0, st.Pending)
	require.Equal(t, "B", a.view("x"))
	require.Contains(t, a.changes[0].Notice, "no merge rule")
}

func TestInvalidIntentsAreRefused(t *testing.T) {
	fs := newFake()
	a := fs.peer(t, "a")
	for name, in := range map[string]Intent{
		"no kind":    {Writes: []Write{{Key: "x", Value: []byte("1")}}},
		"no writes":  {Kind: "k"},
		"reserved":   {Kind: "k", Writes: []Write{{Key: ReservedPrefix + "x", Value: []byte("1")}}},
		"empty key":  {Kind: "k", Writes: []Write{{Key: "", Value: []byte("1")}}},
		"twice":      {Kind: "k", Writes: []Write{{Key: "x"}, {Key: "x"}}},
		"huge value": {Kind: "k", Writes: []Write{{Key: "x", Value: make([]byte, txn.MaxValueSize+1)}}},
	} {
		require.Error(t, a.m.Local(0, in), name)
	}
	require.Equal(t, 0, a.m.Status().Pending)
}

func TestScanMergesMirrorAndPendingAndHidesReserved(t *testing.T) {
	fs := newFake()
	a, b := fs.peer(t, "a"), fs.peer(t, "b")
	b.local(t, "append", "p/1", "one")
	b.local(t, "append", "p/2", "two")
	b.sync(t)
	a.sync(t)
	a.online = false
	a.local(t, "append", "p/3", "three")
	require.NoError(t, a.m.Local(0, Intent{Kind: "append", Writes: []Write{{Key: "p/1"}}})) // delete
	var got []string
	for _, kv := range a.m.Scan("") {
		got = append(got, kv.Key+"="+string(kv.Data))
	}
	require.Equal(t, []string{"p/2=two", "p/3=three"}, got)
	require.Equal(t, fmt.Sprint(uint64(1)), fmt.Sprint(a.m.Get("p/2").Version))
}
