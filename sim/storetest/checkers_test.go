package storetest

import (
	"errors"
	"math"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"

	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/txn"
)

// The checkers must find the bugs they exist for: hand-made register histories, and bugs
// planted in real runs by rewriting what clients are told.

func rd(key string, call, ret int64, val string, ver uint64) porcupine.Operation {
	return porcupine.Operation{Input: regIn{Key: key}, Call: call, Return: ret,
		Output: regOut{Ver: ver, Val: val, Found: ver > 0 && val != ""}}
}

func cas(key string, call, ret int64, from uint64, val string) porcupine.Operation {
	return porcupine.Operation{Input: regIn{Key: key, Write: true, From: from, Val: val}, Call: call, Return: ret, Output: regOut{}}
}

func casUnknown(key string, call int64, from uint64, val string) porcupine.Operation {
	return porcupine.Operation{Input: regIn{Key: key, Write: true, From: from, Val: val}, Call: call,
		Return: math.MaxInt64, Output: regOut{Unknown: true}}
}

func TestRegisterModel(t *testing.T) {
	for _, c := range []struct {
		name string
		ok   bool
		ops  []porcupine.Operation
	}{
		{"write then read", true, []porcupine.Operation{cas("k", 0, 10, 0, "a"), rd("k", 20, 30, "a", 1)}},
		{"read of the initial state", true, []porcupine.Operation{rd("k", 0, 10, "", 0)}},
		{"stale read after an acknowledged write", false, []porcupine.Operation{cas("k", 0, 10, 0, "a"), rd("k", 20, 30, "", 0)}},
		{"read concurrent with the write sees either", true, []porcupine.Operation{
			cas("k", 0, 30, 0, "a"), rd("k", 5, 10, "", 0), rd("k", 12, 20, "a", 1)}},
		{"reads go back in time", false, []porcupine.Operation{
			cas("k", 0, 30, 0, "a"), rd("k", 5, 10, "a", 1), rd("k", 12, 20, "", 0)}},
		{"lost update: two writes from one version", false, []porcupine.Operation{
			cas("k", 0, 10, 0, "a"), cas("k", 20, 30, 0, "b")}},
		{"a value nobody wrote", false, []porcupine.Operation{rd("k", 0, 10, "x", 1)}},
		{"wrong version for the value", false, []porcupine.Operation{cas("k", 0, 10, 0, "a"), rd("k", 20, 30, "a", 2)}},
		{"unknown write that took effect", true, []porcupine.Operation{casUnknown("k", 0, 0, "a"), rd("k", 50, 60, "a", 1)}},
		{"unknown write that did not", true, []porcupine.Operation{
			casUnknown("k", 0, 0, "a"), rd("k", 50, 60, "", 0), cas("k", 70, 80, 0, "b"), rd("k", 90, 95, "b", 1)}},
		{"unknown write cannot take effect twice", false, []porcupine.Operation{
			casUnknown("k", 0, 0, "a"), rd("k", 50, 60, "a", 1), rd("k", 70, 80, "", 0)}},
		{"keys are independent", true, []porcupine.Operation{
			cas("k", 0, 10, 0, "a"), cas("j", 0, 10, 0, "b"), rd("j", 20, 30, "b", 1), rd("k", 20, 30, "a", 1)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := CheckRegister(c.ops, time.Minute)
			if c.ok {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			m := regexp.MustCompile(`visualization: (\S+\.html)`).FindStringSubmatch(err.Error())
			require.NotNil(t, m, "the error names the visualization: %v", err)
			st, serr := os.Stat(m[1])
			require.NoError(t, serr)
			require.Positive(t, st.Size())
			require.NoError(t, os.Remove(m[1]))
		})
	}
}

// calm is a fault family with no faults.
func calm() Faults {
	return Faults{Name: "calm", Peers: func(int64) int { return 5 }, Schedule: func(*World, ring.Time, ring.Time) {}}
}

func TestCalm(t *testing.T) { runFamily(t, 5, calm()) }

// TestCheckersCatchLyingAborts: clients told "committed" for commits that were aborted. Every
// workload's checker must notice: the register sees two writes from one version, the bank an
// update installed twice over one version, the counter two increments of one value.
func TestCheckersCatchLyingAborts(t *testing.T) {
	for seed := int64(1); seed <= 3; seed++ {
		sc := DefaultScenario(calm())
		sc.Mutate = func(*World) func(string, *txn.Event) {
			return func(_ string, ev *txn.Event) {
				if ev.Kind == txn.EvCommitDone && errors.Is(ev.Err, txn.ErrConflict) {
					ev.Err = nil
				}
			}
		}
		res, err := sc.Run(seed)
		require.NoError(t, err)
		require.ErrorContains(t, res.Register.Check(time.Minute), "not linearizable")
		require.ErrorContains(t, res.Bank.Check(), "lost update")
		require.ErrorContains(t, res.Counter.Check(), "two acknowledged increments replaced")
		cleanVisualization(t, res.Register.Check(time.Minute))
	}
}

// TestCheckersCatchStaleReads: one read in five returns the state the previous read of that
// key saw. Only the register checker can tell (a stale read is a consistent old state; the
// bank's and counter's commits simply conflict on it), and it must.
func TestCheckersCatchStaleReads(t *testing.T) {
	for seed := int64(1); seed <= 3; seed++ {
		sc := DefaultScenario(calm())
		sc.Mutate = func(w *World) func(string, *txn.Event) {
			prev := map[string]txn.Event{}
			last := map[string]txn.Event{}
			return func(_ string, ev *txn.Event) {
				if ev.Kind != txn.EvReadDone || ev.Err != nil {
					return
				}
				k := string(ev.Key)
				if cur := last[k]; ev.Version > cur.Version {
					prev[k], last[k] = cur, *ev
				}
				if old, ok := prev[k]; ok && old.Version < ev.Version && w.Rand.IntN(5) == 0 {
					ev.Value, ev.Version, ev.Found = old.Value, old.Version, old.Found
				}
			}
		}
		res, err := sc.Run(seed)
		require.NoError(t, err)
		rerr := res.Register.Check(time.Minute)
		require.ErrorContains(t, rerr, "not linearizable")
		cleanVisualization(t, rerr)
	}
}

func cleanVisualization(t *testing.T, err error) {
	if err == nil {
		return
	}
	if m := regexp.MustCompile(`visualization: (\S+\.html)`).FindStringSubmatch(err.Error()); m != nil {
		require.NoError(t, os.Remove(m[1]))
	}
}

// TestTransactionsReadLocalReplicasFirst: the bank's and counter's first attempts read from the
// peer's own replica where it has one, so the seeds check commits built on possibly lagging
// local reads; retries and peers outside a key's group read quorums.
func TestTransactionsReadLocalReplicasFirst(t *testing.T) {
	res, err := DefaultScenario(calm()).Run(1)
	require.NoError(t, err)
	require.NoError(t, res.Safety)
	w := res.World
	require.Positive(t, w.LocalTxReads, res.Summary())
	require.Less(t, w.LocalTxReads, w.TxReads, "some transaction reads ask a quorum: %s", res.Summary())
}
