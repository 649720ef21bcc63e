package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/detrans/detrans/node"
)

func usageStatus(w io.Writer) {
	fmt.Fprintf(w, `Usage: detrans-node status [flags]

Shows a running peer's identity and ring view: peer ID, ring ID, predecessor, successor list,
finger count, passive list size and connected peers. With --json it prints the Status JSON
documented in 'go doc github.com/detrans/detrans/cmd/detrans-node'.

Flags:
  --api ADDR      admin API address of the peer (default: DATA/api.addr of the default data
                  dir if present, else %s)
  --data DIR      find the peer's API address in DIR/api.addr
  --json          print JSON
  --timeout D     give up waiting for the peer after D (default 15s)
`, defaultAPI)
}

func cmdStatus(ctx context.Context, args []string, stdout, _ io.Writer) error {
	var cf clientFlags
	fs := newFlagSet("status")
	cf.register(fs)
	pos, err := parseArgs(fs, args, usageStatus, stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	st, err := c.Status(ctx)
	if err != nil {
		return err
	}
	if cf.json {
		return printJSON(stdout, st)
	}
	return printStatus(stdout, st)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// printStatus writes the human form: one aligned "label  value" row per field, lists one entry
// per line.
func printStatus(w io.Writer, st node.Status) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(label, value string) { fmt.Fprintf(tw, "%s\t%s\n", label, value) }
	list := func(label string, items []string, numbered bool) {
		if len(items) == 0 {
			row(label, "(none)")
			return
		}
		for i, it := range items {
			if numbered {
				it = fmt.Sprintf("%d. %s", i+1, it)
			}
			if i > 0 {
				label = ""
			}
			row(label, it)
		}
	}
	row("peer ID", st.PeerID)
	row("ring ID", st.RingID)
	row("incarnation", fmt.Sprint(st.Incarnation))
	row("joined", yesNo(st.Joined))
	list("addrs", st.Addrs, false)
	row("predecessor", orNone(st.Predecessor))
	list("successors", st.Successors, true)
	row("fingers", fmt.Sprint(st.Fingers))
	row("passive", fmt.Sprint(st.Passive))
	list("suspected", st.Suspected, false)
	list(fmt.Sprintf("connected (%d)", len(st.ConnectedPeers)), st.ConnectedPeers, false)
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(none)"
	}
	return s
}
