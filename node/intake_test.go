package node

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/detrans/detrans/local"
	"github.com/detrans/detrans/store"
	"github.com/stretchr/testify/require"
)

func putIntent(key, val string) local.Intent {
	return local.Intent{Kind: "append", Op: []byte(val), Writes: []local.Write{{Key: key, Value: []byte(val)}}}
}

// writeRecords writes raw intake records into a stopped peer's store, as a crash between
// Local's return and the loop's fold leaves them.
func writeRecords(t *testing.T, dataDir string, recs map[string][]byte) {
	t.Helper()
	st, err := store.Open(filepath.Join(dataDir, "store"))
	require.NoError(t, err)
	var b store.Batch
	for name, v := range recs {
		b.PutMeta(name, v)
	}
	require.NoError(t, st.Apply(context.Background(), &b))
	require.NoError(t, st.Close())
}

func intakeRecords(t *testing.T, dataDir string) []string {
	t.Helper()
	st, err := store.Open(filepath.Join(dataDir, "store"))
	require.NoError(t, err)
	defer func() { require.NoError(t, st.Close()) }()
	var names []string
	require.NoError(t, st.MetaRange(context.Background(), local.IntakePrefix, func(name string, _ []byte) error {
		names = append(names, name)
		return nil
	}))
	return names
}

func encode(t *testing.T, in local.Intent) []byte {
	t.Helper()
	b, err := local.EncodeIntake(in)
	require.NoError(t, err)
	return b
}

// TestRecordedEditsLeftByACrashAreFoldedInOrderOnce: records a crashed run had not folded yet
// show in the local view at the next start, in sequence order (not write order), commit, and
// leave no record behind.
func TestRecordedEditsLeftByACrashAreFoldedInOrderOnce(t *testing.T) {
	cfg := mirrorConfig(t)
	cfg.Found = true
	n := startNode(t, cfg)
	require.NoError(t, n.WaitJoined(context.Background()))
	require.NoError(t, n.Local(context.Background(), putIntent("doc", "v1")))
	waitSynced(t, n, "first edit committed")
	require.NoError(t, n.Close())

	writeRecords(t, cfg.DataDir, map[string][]byte{
		local.IntakeName(12): encode(t, putIntent("doc", "v3")),
		local.IntakeName(11): encode(t, putIntent("doc", "v2")),
	})
	n = startNode(t, cfg)
	ctx := context.Background()
	v, err := n.View(ctx, "doc")
	require.NoError(t, err)
	require.Equal(t, "v3", string(v.Data), "the later record is applied last")
	waitSynced(t, n, "recorded edits committed")
	it, err := n.Get(ctx, []byte("doc"))
	require.NoError(t, err)
	require.Equal(t, "v3", string(it.Value))
	require.LessOrEqual(t, it.Version, uint64(3), "v1, then v2 and v3 (together or one by one), none twice")

	// New edits are numbered after the restored ones (no record is overwritten).
	require.NoError(t, n.Local(ctx, putIntent("doc", "v4")))
	waitSynced(t, n, "new edit committed")
	it, err = n.Get(ctx, []byte("doc"))
	require.NoError(t, err)
	require.Equal(t, "v4", string(it.Value))
	require.NoError(t, n.Close())
	require.Empty(t, intakeRecords(t, cfg.DataDir))
}

// TestCorruptIntakeRecordIsRefusedAndKept: a record that does not decode stops the start with
// an error naming it, and nothing is changed.
func TestCorruptIntakeRecordIsRefusedAndKept(t *testing.T) {
	cfg := mirrorConfig(t)
	cfg.Found = true
	n := startNode(t, cfg)
	require.NoError(t, n.Close())
	bad := local.IntakeName(4)
	writeRecords(t, cfg.DataDir, map[string][]byte{bad: []byte("{not json")})
	_, err := New(context.Background(), cfg)
	require.ErrorContains(t, err, bad)
	require.Equal(t, []string{bad}, intakeRecords(t, cfg.DataDir))
}

// TestLocalRefusesBadIntentsAndAfterClose: an intent that could never commit is refused before
// anything is recorded; after Close, Local reports it.
func TestLocalRefusesBadIntentsAndAfterClose(t *testing.T) {
	cfg := mirrorConfig(t)
	cfg.Found = true
	n := startNode(t, cfg)
	ctx := context.Background()
	require.Error(t, n.Local(ctx, local.Intent{Kind: "append"}), "no writes")
	require.Error(t, n.Local(ctx, putIntent(local.ReservedPrefix+"x", "v")), "reserved key")
	st := n.Sync()
	require.Zero(t, st.Pending)
	require.NoError(t, n.Close())
	require.ErrorIs(t, n.Local(ctx, putIntent("k", "v")), errClosed)
	require.Empty(t, intakeRecords(t, cfg.DataDir))
}

// TestConcurrentLocalCallersSeeTheirEdits: Local from many goroutines at once; each caller's
// View right after its Local shows its edit, and every edit commits.
func TestConcurrentLocalCallersSeeTheirEdits(t *testing.T) {
	cfg := mirrorConfig(t)
	cfg.Found = true
	n := startNode(t, cfg)
	require.NoError(t, n.WaitJoined(context.Background()))
	const callers, edits = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			key, val := fmt.Sprint("c", c), ""
			for i := range edits {
				val += fmt.Sprint(",", i)
				if err := n.Local(ctx, putIntent(key, val)); err != nil {
					errs <- err
					return
				}
				v, err := n.View(ctx, key)
				if err != nil {
					errs <- err
					return
				}
				if string(v.Data) != val {
					errs <- fmt.Errorf("%s: view shows %q right after Local of %q", key, v.Data, val)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	waitSynced(t, n, "all edits committed")
	want := ""
	for i := range edits {
		want += fmt.Sprint(",", i)
	}
	for c := range callers {
		it, err := n.Get(context.Background(), []byte(fmt.Sprint("c", c)))
		require.NoError(t, err)
		require.Equal(t, want, string(it.Value))
		require.LessOrEqual(t, it.Version, uint64(edits), "no edit committed twice")
	}
}
