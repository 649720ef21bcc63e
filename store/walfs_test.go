package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// walFiles returns the sizes of the write-ahead logs in dir.
func walFiles(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	out := map[string]int64{}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".log") {
			fi, err := e.Info()
			require.NoError(t, err)
			out[e.Name()] = fi.Size()
		}
	}
	return out
}

// applyMany writes n synced batches of about 1 KB each, keys k0..k(n-1).
func applyMany(t *testing.T, s *Store, n int) {
	t.Helper()
	for i := range n {
		var b Batch
		b.Put(pos(uint64(i)), []byte(fmt.Sprintf("k%d", i)), Item{Value: make([]byte, 1000), Version: uint64(i + 1)})
		require.NoError(t, s.Apply(context.Background(), &b))
	}
}

func requireAll(t *testing.T, s *Store, n int) {
	t.Helper()
	for i := range n {
		it, found, err := s.Get(context.Background(), pos(uint64(i)), []byte(fmt.Sprintf("k%d", i)))
		require.NoError(t, err)
		require.True(t, found, "k%d", i)
		require.Equal(t, uint64(i+1), it.Version)
	}
}

// TestWALIsZeroedAheadOfItsEnd: the log pebble appends to is a whole number of zero chunks long,
// ahead of what was written, and everything synced into it is there after a clean reopen.
func TestWALIsZeroedAheadOfItsEnd(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	applyMany(t, s, 6000) // ~6 MB of log over memtables of growing size
	logs := walFiles(t, dir)
	require.NotEmpty(t, logs)
	var largest int64
	for _, size := range logs {
		require.Zero(t, size%zeroChunk, "a log grows by whole chunks: %v", logs)
		largest = max(largest, size)
	}
	require.GreaterOrEqual(t, largest, int64(2*zeroChunk), "logs past the first chunk: %v", logs)
	require.NoError(t, s.Close())

	s, err = Open(dir)
	require.NoError(t, err)
	defer s.Close()
	requireAll(t, s, 6000)
}

// TestStoreRecoversFromAZeroedLogTail: a peer killed without closing its store leaves a log whose
// tail is zeros; pebble's replay stops there and keeps every write before it.
func TestStoreRecoversFromAZeroedLogTail(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	applyMany(t, s, 300)
	// A copy of the files taken while the store is open is what a kill -9 leaves behind.
	crashed := t.TempDir()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		if e.IsDir() || e.Name() == "LOCK" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(crashed, e.Name()), b, 0o600))
	}
	require.NoError(t, s.Close())

	s, err = Open(crashed)
	require.NoError(t, err)
	defer s.Close()
	requireAll(t, s, 300)
	var b Batch // and it goes on writing
	b.PutMeta("after", []byte("crash"))
	require.NoError(t, s.Apply(context.Background(), &b))
}
