package main

import (
	"context"
	"fmt"
	"io"
)

func usageLookup(w io.Writer) {
	fmt.Fprintf(w, `Usage: detrans-node lookup [flags] KEY

Asks a running peer which peer owns KEY on the ring and prints
  owner PEER_ID  hops N
With --json it prints {"key", "key_ring_id", "owner", "owner_ring_id", "hops"}.

Flags:
  --api ADDR      admin API address of the peer (default: DATA/api.addr of the default data
                  dir if present, else %s)
  --data DIR      find the peer's API address in DIR/api.addr
  --json          print JSON
  --timeout D     give up waiting for the peer after D (default 15s)
`, defaultAPI)
}

func cmdLookup(ctx context.Context, args []string, stdout, _ io.Writer) error {
	var cf clientFlags
	fs := newFlagSet("lookup")
	cf.register(fs)
	pos, err := parseArgs(fs, args, usageLookup, stdout)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		return usagef("missing KEY")
	case len(pos) > 1:
		return usagef("want one KEY, got %d arguments (quote a key with spaces)", len(pos))
	case len(pos[0]) > maxKeyLen:
		return usagef("KEY is %d bytes, at most %d allowed", len(pos[0]), maxKeyLen)
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	rep, err := c.Lookup(ctx, pos[0])
	if err != nil {
		return err
	}
	if cf.json {
		return printJSON(stdout, rep)
	}
	if _, err := fmt.Fprintf(stdout, "owner %s  hops %d\n", rep.Owner, rep.Hops); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}
