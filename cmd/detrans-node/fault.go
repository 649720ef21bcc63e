package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

func usageFault(w io.Writer) {
	fmt.Fprintf(w, `Usage: detrans-node fault block PEER_ID... [flags]
       detrans-node fault heal [flags]
       detrans-node fault list [flags]

Fault injection for tests and demos, refused unless the peer was started with
'run --allow-fault-injection'.

  block   cut the peer off from the given peers, as a network partition would: their
          connections are closed and new ones refused in both directions. Block on both
          sides of a cut (each side's peers block the other side's).
  heal    lift every block of the peer
  list    show whether fault injection is allowed and which peers are blocked

Each prints the peer's blocked list afterwards (one peer ID a line), or with --json
{"allowed", "blocked"}.

Flags:
  --api ADDR      admin API address of the peer (default: DATA/api.addr of the default data
                  dir if present, else %s)
  --data DIR      find the peer's API address in DIR/api.addr
  --json          print JSON
  --timeout D     give up waiting for the peer after D (default 15s)
`, defaultAPI)
}

func cmdFault(ctx context.Context, args []string, stdout, _ io.Writer) error {
	var cf clientFlags
	fs := newFlagSet("fault")
	cf.register(fs)
	pos, err := parseArgs(fs, args, usageFault, stdout)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("missing block, heal or list")
	}
	sub, rest := pos[0], pos[1:]
	switch sub {
	case "block":
		if len(rest) == 0 {
			return usagef("block: missing PEER_ID")
		}
	case "heal", "list":
		if len(rest) > 0 {
			return usagef("%s takes no arguments, got %q", sub, rest[0])
		}
	default:
		return usagef("unknown fault command %q: want block, heal or list", sub)
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	var rep FaultReply
	switch sub {
	case "block":
		err = c.do(ctx, http.MethodPost, "/v1/fault/block", nil, BlockRequest{Peers: rest}, &rep)
	case "heal":
		err = c.do(ctx, http.MethodPost, "/v1/fault/heal", nil, struct{}{}, &rep)
	case "list":
		err = c.do(ctx, http.MethodGet, "/v1/fault", nil, nil, &rep)
	}
	if err != nil {
		return err
	}
	if cf.json {
		return printJSON(stdout, rep)
	}
	var b strings.Builder
	if !rep.Allowed {
		b.WriteString("fault injection disabled (start the peer with --allow-fault-injection)\n")
	}
	for _, p := range rep.Blocked {
		b.WriteString(p + "\n")
	}
	if _, err := io.WriteString(stdout, b.String()); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}
