package main

import (
	"context"
	"fmt"
	"io"
)

func usageMain(w io.Writer) {
	fmt.Fprintln(w, "detrans-node is the headless DeTrans peer and its command-line client.\n\nUsage: detrans-node COMMAND [flags] [args]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'detrans-node help COMMAND' (or COMMAND -h) for a command's flags.")
}

func usageHelp(w io.Writer) {
	fmt.Fprintln(w, "Usage: detrans-node help [COMMAND]")
}

func cmdHelp(_ context.Context, args []string, stdout, _ io.Writer) error {
	switch len(args) {
	case 0:
		usageMain(stdout)
		return nil
	case 1:
		c, ok := findCommand(args[0])
		if !ok {
			return usagef("unknown command %q", args[0])
		}
		c.usage(stdout)
		return nil
	}
	return usagef("want at most one COMMAND")
}
