package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/stretchr/testify/require"
)

// cli runs one command line in-process and returns its exit code and output.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = dispatch(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// freePort returns a loopback address nobody listens on (it was free a moment ago).
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func TestHelpAndVersion(t *testing.T) {
	code, out, _ := cli(t, "help")
	require.Equal(t, exitOK, code)
	for _, c := range []string{"run", "status", "lookup", "version", "help"} {
		require.Contains(t, out, "  "+c+" ")
	}
	code, out, _ = cli(t, "--help")
	require.Equal(t, exitOK, code)
	require.Contains(t, out, "Usage: detrans-node COMMAND")

	code, out, _ = cli(t, "run", "-h")
	require.Equal(t, exitOK, code)
	require.Contains(t, out, "--join MULTIADDR")

	code, out, _ = cli(t, "help", "lookup")
	require.Equal(t, exitOK, code)
	require.Contains(t, out, "owner PEER_ID  hops N")

	code, out, _ = cli(t, "version")
	require.Equal(t, exitOK, code)
	require.Regexp(t, `^detrans-node \S+.* \(go1\.\d+`, out)

	code, _, errOut := cli(t)
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut, "Usage: detrans-node COMMAND")

	code, _, errOut = cli(t, "frobnicate")
	require.Equal(t, exitUsage, code)
	require.Equal(t, "detrans-node: unknown command \"frobnicate\"\nRun 'detrans-node help' for usage.\n", errOut)
}

func TestClientCommandsWithoutAPeer(t *testing.T) {
	addr := freePort(t)
	code, out, errOut := cli(t, "status", "--api", addr)
	require.Equal(t, exitFail, code)
	require.Empty(t, out)
	require.Equal(t, "detrans-node status: no detrans-node is answering at "+addr+": is it running?\n", errOut)

	code, _, errOut = cli(t, "lookup", "k", "--api", addr, "--json")
	require.Equal(t, exitFail, code)
	require.Contains(t, errOut, "no detrans-node is answering at "+addr)

	dir := t.TempDir()
	code, _, errOut = cli(t, "status", "--data", dir)
	require.Equal(t, exitFail, code)
	require.Equal(t, "detrans-node status: no detrans-node is running with data dir "+dir+" (it has no api.addr)\n", errOut)

	// A stale api.addr after a crash names the address that no longer answers.
	require.NoError(t, writeAPIAddr(dir, addr))
	code, _, errOut = cli(t, "status", "--data", dir)
	require.Equal(t, exitFail, code)
	require.Contains(t, errOut, "no detrans-node is answering at "+addr)

	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"status", "--api", "10.0.0.1:7465"}, "loopback only"},
		{[]string{"status", "--api", addr, "--data", dir}, "give --api or --data, not both"},
		{[]string{"status", "extra"}, `unexpected argument "extra"`},
		{[]string{"lookup"}, "missing KEY"},
		{[]string{"lookup", "a", "b"}, "want one KEY, got 2"},
		{[]string{"lookup", "k", "--timeout", "0s"}, "--timeout must be positive"},
	} {
		code, _, errOut := cli(t, tc.args...)
		require.Equal(t, exitUsage, code, tc.args)
		require.Contains(t, errOut, tc.msg, tc.args)
	}
}

func TestClientCommandsAgainstAPI(t *testing.T) {
	_, addr := startAPI(t, &fakePeer{})
	code, out, errOut := cli(t, "status", "--api", addr)
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, "peer ID        12D3KooWSelf\n")
	require.Contains(t, out, "predecessor    12D3KooWOther\n")
	require.Contains(t, out, "successors     1. 12D3KooWOther\n               2. 12D3KooWSelf\n")
	require.Contains(t, out, "suspected      (none)\n")
	require.Contains(t, out, "connected (1)  12D3KooWOther\n")

	code, out, _ = cli(t, "status", "--api", addr, "--json")
	require.Equal(t, exitOK, code)
	require.Contains(t, out, `"peer_id": "12D3KooWSelf"`)

	dir := t.TempDir()
	require.NoError(t, writeAPIAddr(dir, addr))
	code, out, _ = cli(t, "lookup", "--data", dir, "some key")
	require.Equal(t, exitOK, code)
	require.Equal(t, "owner 12D3KooWOther  hops 2\n", out)

	code, out, _ = cli(t, "lookup", "some key", "--api", addr, "--json")
	require.Equal(t, exitOK, code)
	require.Contains(t, out, `"owner": "12D3KooWOther"`)
	require.Contains(t, out, `"hops": 2`)
}

func TestRunErrors(t *testing.T) {
	// Unwritable data dir: a path below a regular file fails even for root.
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o600))
	code, _, errOut := cli(t, "run", "--data", filepath.Join(file, "sub"), "--api", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0")
	require.Equal(t, exitFail, code)
	require.Contains(t, errOut, "detrans-node run: start peer: data dir "+filepath.Join(file, "sub"))
	require.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)

	// API address in use.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	code, _, errOut = cli(t, "run", "--data", t.TempDir(), "--api", ln.Addr().String(), "--listen", "/ip4/127.0.0.1/tcp/0")
	require.Equal(t, exitFail, code)
	require.Contains(t, errOut, "admin API address "+ln.Addr().String()+" is already in use")

	// Unreachable join address: a refused port with a well-formed peer ID.
	_, pub, err := crypto.GenerateEd25519Key(nil)
	require.NoError(t, err)
	pid, err := peer.IDFromPublicKey(pub)
	require.NoError(t, err)
	host, port, _ := net.SplitHostPort(freePort(t))
	join := fmt.Sprintf("/ip4/%s/tcp/%s/p2p/%s", host, port, pid)
	dir := t.TempDir()
	code, _, errOut = cli(t, "run", "--data", dir, "--api", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0", "--join", join, "--join-timeout", "3s")
	require.Equal(t, exitFail, code)
	require.Contains(t, errOut, "detrans-node run: start peer: no bootstrap peer reachable")
	require.Contains(t, errOut, join)
	require.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
	require.NoFileExists(t, filepath.Join(dir, apiAddrFile))

	// Bad PSK file.
	psk := filepath.Join(t.TempDir(), "psk")
	require.NoError(t, os.WriteFile(psk, []byte("abcd\n"), 0o600))
	code, _, errOut = cli(t, "run", "--data", t.TempDir(), "--api", "127.0.0.1:0", "--psk-file", psk)
	require.Equal(t, exitFail, code)
	require.Contains(t, errOut, "want 64 hex digits")
}

func TestRunRefusesADataDirInUse(t *testing.T) {
	_, addr := startAPI(t, &fakePeer{})
	dir := t.TempDir()
	require.NoError(t, writeAPIAddr(dir, addr))
	code, _, errOut := cli(t, "run", "--data", dir, "--api", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0")
	require.Equal(t, exitFail, code)
	require.Equal(t, "detrans-node run: data dir "+dir+" is in use by the detrans-node answering at "+addr+"\n", errOut)

	// A stale file (the peer crashed) does not block a restart.
	stale := t.TempDir()
	require.NoError(t, writeAPIAddr(stale, freePort(t)))
	require.NoError(t, checkDataDirFree(context.Background(), stale))
}

func TestAPIAddrFile(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, writeAPIAddr(dir, "127.0.0.1:1234"))
	got, err := readAPIAddr(dir)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:1234", got)

	// Another process's address is left alone; our own is removed.
	require.NoError(t, removeAPIAddr(dir, "127.0.0.1:9999"))
	require.FileExists(t, filepath.Join(dir, apiAddrFile))
	require.NoError(t, removeAPIAddr(dir, "127.0.0.1:1234"))
	require.NoFileExists(t, filepath.Join(dir, apiAddrFile))
	require.NoError(t, removeAPIAddr(dir, "127.0.0.1:1234"), "removing twice is fine")

	require.NoError(t, os.WriteFile(filepath.Join(dir, apiAddrFile), []byte("0.0.0.0:80\n"), 0o600))
	_, err = readAPIAddr(dir)
	require.ErrorContains(t, err, "loopback only")
}
