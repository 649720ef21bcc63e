package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// command is one subcommand. exec gets the arguments after the command name; it returns a
// usageError for bad invocations and flag.ErrHelp after printing its help.
type command struct {
	name    string
	summary string
	usage   func(w io.Writer)
	exec    func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"run", "run a peer until interrupted", usageRun, cmdRun},
		{"status", "show a running peer's ring view", usageStatus, cmdStatus},
		{"lookup", "find the peer that owns a key", usageLookup, cmdLookup},
		{"get", "read a key", usageGet, cmdGet},
		{"put", "write a key", usagePut, cmdPut},
		{"del", "delete a key", usageDel, cmdDel},
		{"fault", "block or heal peers (fault injection)", usageFault, cmdFault},
		{"bench", "measure the store on a local cluster", usageBench, cmdBench},
		{"version", "print the version", usageVersion, cmdVersion},
		{"help", "show help for a command", usageHelp, cmdHelp},
	}
}

func main() {
	os.Exit(dispatch(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// Exit codes: 0 success, 1 the command failed, 2 it was called wrongly; store commands add
// 3–6 so scripts can react without parsing messages.
const (
	exitOK       = 0
	exitFail     = 1
	exitUsage    = 2
	exitNoQuorum = 3 // no majority of the key's replica group reachable; nothing changed
	exitConflict = 4 // the transaction kept losing races; nothing changed
	exitUnknown  = 5 // a write's outcome is unknown: it may or may not have committed
	exitNotFound = 6 // get: the key has no value
)

// exitCoder is an error that chooses the process's exit code.
type exitCoder interface{ ExitCode() int }

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usageMain(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		name = "help"
	case "-version", "--version":
		name = "version"
	}
	cmd, ok := findCommand(name)
	if !ok {
		fmt.Fprintf(stderr, "detrans-node: unknown command %q\nRun 'detrans-node help' for usage.\n", name)
		return exitUsage
	}
	err := cmd.exec(ctx, args[1:], stdout, stderr)
	var uerr usageError
	var ec exitCoder
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &uerr):
		fmt.Fprintf(stderr, "detrans-node %s: %s\nRun 'detrans-node help %s' for usage.\n", cmd.name, oneLine(err), cmd.name)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "detrans-node %s: %s\n", cmd.name, oneLine(err))
		if errors.As(err, &ec) {
			return ec.ExitCode()
		}
		return exitFail
	}
}

func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// usageError marks a wrong invocation (bad flag, bad argument) as opposed to a failure.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// oneLine keeps error reports to one line: libp2p dial errors can span several.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
}
