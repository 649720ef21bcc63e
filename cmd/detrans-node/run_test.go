package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// readyLine is the parsed startup line of `run`.
type readyLine map[string]string

func parseReady(line string) (readyLine, error) {
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "detrans-node" || f[1] != "ready" {
		return nil, fmt.Errorf("not a ready line: %q", line)
	}
	r := readyLine{}
	for _, kv := range f[2:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("ready line field %q has no '='", kv)
		}
		r[k] = v
	}
	return r, nil
}

// TestRunServesAndStopsCleanly runs a one-peer ring in-process: the ready line and api.addr
// appear, status, lookup, put and get answer through the CLI, and canceling (what SIGINT/SIGTERM do) leaves
// cleanly, removes api.addr and returns nil (exit 0).
func TestRunServesAndStopsCleanly(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		defer pw.Close()
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("panic: %v", p)
			}
		}()
		done <- cmdRun(ctx, []string{"--data", dir, "--api", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0", "--log-level", "warn"}, pw, io.Discard)
	}()

	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, pr)
	}()
	var ready readyLine
	select {
	case line, ok := <-lines:
		if !ok {
			t.Fatalf("run ended before its ready line: %v", <-done)
		}
		var err error
		ready, err = parseReady(line)
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("no ready line within 30s")
	}
	require.NotEmpty(t, ready["peer_id"])
	require.Contains(t, ready["addrs"], "/p2p/"+ready["peer_id"])
	got, err := readAPIAddr(dir)
	require.NoError(t, err)
	require.Equal(t, ready["api"], got)

	code, out, errOut := cli(t, "status", "--data", dir, "--json")
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, `"peer_id": "`+ready["peer_id"]+`"`)

	code, out, errOut = cli(t, "lookup", "--api", ready["api"], "hello")
	require.Equal(t, exitOK, code, errOut)
	require.Regexp(t, `^owner `+ready["peer_id"]+`  hops \d+\n$`, out, "a ring of one owns every key")

	// Started without --join, it founded a space: it stores alone.
	code, _, errOut = cli(t, "put", "--api", ready["api"], "k", "v1")
	require.Equal(t, exitOK, code, errOut)
	code, out, errOut = cli(t, "get", "--data", dir, "k")
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, "v1\n", out)
	code, out, errOut = cli(t, "fault", "list", "--api", ready["api"])
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, "fault injection disabled", "off without --allow-fault-injection")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return within 30s of being stopped")
	}
	require.NoFileExists(t, filepath.Join(dir, apiAddrFile))
}
