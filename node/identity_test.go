package node

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestIdentityAndIncarnationPersistAcrossRestart(t *testing.T) {
	cfg := testConfig(t)
	cfg.DataDir = filepath.Join(t.TempDir(), "does", "not", "exist", "yet")

	n1 := startNode(t, cfg)
	id1, inc1 := n1.PeerID(), n1.Status().Incarnation
	require.Equal(t, uint64(1), inc1)
	require.NoError(t, n1.Close())

	st, err := os.Stat(filepath.Join(cfg.DataDir, keyFile))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "identity key must be private")

	n2 := startNode(t, cfg)
	require.Equal(t, id1, n2.PeerID(), "same data dir, same identity")
	require.Equal(t, inc1+1, n2.Status().Incarnation)
	require.Equal(t, n2.RingID().String(), n2.Status().RingID)
}

func TestCorruptIdentityIsAClearError(t *testing.T) {
	cfg := testConfig(t)
	require.NoError(t, os.WriteFile(filepath.Join(cfg.DataDir, keyFile), []byte("garbage"), 0o600))
	_, err := New(context.Background(), cfg)
	require.ErrorContains(t, err, "identity key")
	require.ErrorContains(t, err, "corrupt")

	cfg = testConfig(t)
	require.NoError(t, os.WriteFile(filepath.Join(cfg.DataDir, incarnationFile), []byte("x\n"), 0o600))
	_, err = New(context.Background(), cfg)
	require.ErrorContains(t, err, "incarnation")
}

func TestUnwritableDataDirIsAClearError(t *testing.T) {
	// Root ignores permission bits (CI runs as root), so also use a path whose parent is a
	// regular file: nobody can create a directory there.
	file := filepath.Join(t.TempDir(), "plainfile")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	cfg := testConfig(t)
	cfg.DataDir = filepath.Join(file, "data")
	_, err := New(context.Background(), cfg)
	require.ErrorContains(t, err, "data dir")
	require.ErrorContains(t, err, cfg.DataDir)

	if os.Geteuid() != 0 {
		ro := filepath.Join(t.TempDir(), "ro")
		require.NoError(t, os.Mkdir(ro, 0o500))
		cfg.DataDir = ro
		_, err = New(context.Background(), cfg)
		require.ErrorContains(t, err, "not writable")
	}

	cfg.DataDir = ""
	_, err = New(context.Background(), cfg)
	require.ErrorContains(t, err, "DataDir is required")
}
