package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// defaultAPI is the admin API address humans get without flags; tests and scripts that start
// several peers pass --api 127.0.0.1:0 and read the bound address from DATA/api.addr.
const defaultAPI = "127.0.0.1:7465"

// stringList is a repeatable string flag (--listen A --listen B).
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// newFlagSet returns a FlagSet that reports errors to us instead of printing them, so every
// command formats its errors the same way.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseArgs parses flags that may come before, between or after positional arguments
// (`lookup KEY --api X`), which the flag package alone does not allow. After "--" everything is
// positional. -h prints the command's help to stdout and returns flag.ErrHelp.
func parseArgs(fs *flag.FlagSet, args []string, usage func(io.Writer), stdout io.Writer) ([]string, error) {
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
			return nil, flag.ErrHelp
		}
		if err != nil {
			return nil, usageError{err}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// loopbackAddr checks that addr is host:port on a loopback address and returns it normalised.
// The admin API has no authentication, so it must never be reachable from another machine.
func loopbackAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("API address %q: want HOST:PORT, e.g. %s: %w", addr, defaultAPI, err)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return "", fmt.Errorf("API address %q: bad port %q", addr, port)
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("API address %q: the admin API listens on loopback only (use 127.0.0.1:PORT or [::1]:PORT)", addr)
	}
	return net.JoinHostPort(ip.String(), strconv.FormatUint(p, 10)), nil
}

// defaultDataDir is where a peer keeps its identity and data when --data is not given.
func defaultDataDir() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no default data dir (%w): pass --data DIR", err)
	}
	return filepath.Join(dir, "detrans", "node"), nil
}

// defaultDataDirHelp is the default shown in help texts; it never fails.
func defaultDataDirHelp() string {
	if d, err := defaultDataDir(); err == nil {
		return d
	}
	return "$XDG_CONFIG_HOME/detrans/node"
}
