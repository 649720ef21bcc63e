package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version is set at link time for releases: -ldflags "-X main.version=v0.1.0".
var version = "dev"

func usageVersion(w io.Writer) {
	fmt.Fprintln(w, "Usage: detrans-node version\n\nPrints the version, the VCS revision when known, and the Go version.")
}

func cmdVersion(_ context.Context, args []string, stdout, _ io.Writer) error {
	pos, err := parseArgs(newFlagSet("version"), args, usageVersion, stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " " + s.Value[:12]
			}
		}
	}
	_, err = fmt.Fprintf(stdout, "detrans-node %s (%s %s/%s)\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
