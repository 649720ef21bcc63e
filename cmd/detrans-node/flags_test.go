package main

import (
	"errors"
	"flag"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLoopbackAddr(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:7465":  "127.0.0.1:7465",
		"localhost:0":     "127.0.0.1:0",
		"[::1]:80":        "[::1]:80",
		"127.1.2.3:65535": "127.1.2.3:65535",
	} {
		got, err := loopbackAddr(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for in, msg := range map[string]string{
		"0.0.0.0:7465":     "loopback only",
		":7465":            "loopback only",
		"192.168.1.2:7465": "loopback only",
		"example.com:80":   "loopback only",
		"127.0.0.1":        "want HOST:PORT",
		"127.0.0.1:99999":  "bad port",
		"127.0.0.1:http":   "bad port",
	} {
		_, err := loopbackAddr(in)
		require.ErrorContains(t, err, msg, in)
		require.ErrorContains(t, err, in)
	}
}

func TestParseArgsAllowsFlagsAfterPositionals(t *testing.T) {
	var api string
	var asJSON bool
	fs := newFlagSet("x")
	fs.StringVar(&api, "api", "", "")
	fs.BoolVar(&asJSON, "json", false, "")
	pos, err := parseArgs(fs, []string{"key one", "--api", "127.0.0.1:1", "--json"}, func(io.Writer) {}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, []string{"key one"}, pos)
	require.Equal(t, "127.0.0.1:1", api)
	require.True(t, asJSON)

	// After "--" even dash-led words are positional.
	pos, err = parseArgs(fs, []string{"--json", "--", "--api", "-x"}, func(io.Writer) {}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, []string{"--api", "-x"}, pos)

	_, err = parseArgs(fs, []string{"k", "--nope"}, func(io.Writer) {}, io.Discard)
	var uerr usageError
	require.ErrorAs(t, err, &uerr)
	require.ErrorContains(t, err, "-nope")

	helped := false
	_, err = parseArgs(fs, []string{"-h"}, func(io.Writer) { helped = true }, io.Discard)
	require.True(t, errors.Is(err, flag.ErrHelp))
	require.True(t, helped)
}

func TestParseRunFlags(t *testing.T) {
	const pid = "12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf"
	dir := t.TempDir()
	o, err := parseRunFlags([]string{
		"--data", dir,
		"--listen", "/ip4/127.0.0.1/tcp/0", "--listen", "/ip4/127.0.0.1/udp/0/quic-v1",
		"--join", "/ip4/127.0.0.1/tcp/4001/p2p/" + pid, "--join", "/ip6/::1/tcp/4001/p2p/" + pid,
		"--api", "localhost:0", "--mdns", "--log-level", "debug", "--join-timeout", "2s",
	}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, dir, o.data)
	require.Equal(t, stringList{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"}, o.listen)
	require.Len(t, o.join, 2)
	require.Equal(t, "127.0.0.1:0", o.api)
	require.True(t, o.mdns)
	require.Equal(t, 2*time.Second, o.joinTimeout)
	require.Equal(t, "DEBUG", o.logLevel.String())

	t.Setenv("XDG_CONFIG_HOME", dir)
	o, err = parseRunFlags(nil, io.Discard)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, "detrans", "node"), o.data, "default data dir")
	require.Equal(t, defaultAPI, o.api)
	require.False(t, o.mdns, "mDNS is off by default for the headless peer")
	require.Empty(t, o.listen, "node picks the default listen addresses")
}

func TestParseRunFlagsErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--join", "not-a-multiaddr"}, `--join "not-a-multiaddr": not a multiaddr`},
		{[]string{"--join", "/ip4/127.0.0.1/tcp/4001"}, "ending in /p2p/PEER_ID"},
		{[]string{"--join", "/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf"}, "ending in /p2p/PEER_ID"},
		{[]string{"--listen", "/ip4/300.0.0.1/tcp/0"}, `--listen "/ip4/300.0.0.1/tcp/0": not a multiaddr`},
		{[]string{"--api", "0.0.0.0:7465"}, "loopback only"},
		{[]string{"--log-level", "loud"}, `--log-level "loud"`},
		{[]string{"--join-timeout", "0s"}, "--join-timeout must be positive"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--nope"}, "flag provided but not defined: -nope"},
	} {
		_, err := parseRunFlags(tc.args, io.Discard)
		require.ErrorContains(t, err, tc.msg, tc.args)
		var uerr usageError
		require.ErrorAs(t, err, &uerr, "a bad flag is a usage error (exit 2): %v", tc.args)
	}
}
