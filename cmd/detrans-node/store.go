package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// get, put, del: one store operation through a running peer's admin API.

// storeClientSlack is how much longer than the peer's own deadline the client waits for the
// answer, so the peer's classified error (no quorum, unknown outcome) arrives rather than a
// bare client time-out.
const storeClientSlack = 5 * time.Second

const storeFlagsHelp = `Flags:
  --api ADDR      admin API address of the peer (default: DATA/api.addr of the default data
                  dir if present, else %s)
  --data DIR      find the peer's API address in DIR/api.addr
  --timeout D     the peer gives up on the operation after D (default 5s)
  --json          print JSON
`

const storeExitHelp = `Exit codes: 0 done, 1 failure, 2 wrong invocation, 3 no quorum (nothing changed; the
key's replica group has no reachable majority, e.g. on the minority side of a partition),
4 conflict (nothing changed), 5 unknown outcome (the write may or may not have committed)`

func usageGet(w io.Writer) {
	fmt.Fprintf(w, `Usage: detrans-node get [flags] KEY

Reads KEY's latest committed value (a linearizable quorum read) and prints it followed by a
newline. A key with no value prints nothing and exits 6. With --json it prints
{"key", "found", "version", "value", "base64"}; value is base64 when base64 is true (always
with --base64, and for values that are not UTF-8 text).

`+storeFlagsHelp+`  --base64        print the value in standard base64

`+storeExitHelp+`, 6 not found.
`, defaultAPI)
}

func usagePut(w io.Writer) {
	fmt.Fprintf(w, `Usage: detrans-node put [flags] KEY VALUE

Writes VALUE (UTF-8 text, or with --base64 standard base64 of the bytes) to KEY in one
transaction and returns once it committed.

`+storeFlagsHelp+`  --base64        VALUE is standard base64

`+storeExitHelp+`.
`, defaultAPI)
}

func usageDel(w io.Writer) {
	fmt.Fprintf(w, `Usage: detrans-node del [flags] KEY

Deletes KEY in one transaction and returns once it committed. Deleting a key that has no
value succeeds.

`+storeFlagsHelp+`
`+storeExitHelp+`.
`, defaultAPI)
}

// storeFlags parses a store command's flags and positional arguments (exactly nargs).
func storeFlags(name string, args []string, nargs int, usage func(io.Writer), stdout io.Writer) (*client, *clientFlags, bool, []string, error) {
	var cf clientFlags
	var b64 bool
	fs := newFlagSet(name)
	cf.registerTimeout(fs, defaultStoreTimeout)
	if name != "del" {
		fs.BoolVar(&b64, "base64", false, "")
	}
	pos, err := parseArgs(fs, args, usage, stdout)
	if err != nil {
		return nil, nil, false, nil, err
	}
	want := "KEY"
	if nargs == 2 {
		want = "KEY VALUE"
	}
	switch {
	case len(pos) < nargs:
		return nil, nil, false, nil, usagef("missing %s", want)
	case len(pos) > nargs:
		return nil, nil, false, nil, usagef("want %s, got %d arguments (quote arguments with spaces)", want, len(pos))
	case pos[0] == "":
		return nil, nil, false, nil, usagef("empty KEY")
	case len(pos[0]) > maxKeyLen:
		return nil, nil, false, nil, usagef("KEY is %d bytes, at most %d allowed", len(pos[0]), maxKeyLen)
	}
	if cf.timeout <= 0 {
		return nil, nil, false, nil, usagef("--timeout must be positive")
	}
	if cf.timeout > maxStoreTimeout {
		return nil, nil, false, nil, usagef("--timeout must be at most %s", maxStoreTimeout)
	}
	addr, err := cf.resolveAPI()
	if err != nil {
		return nil, nil, false, nil, err
	}
	return newClient(addr, cf.timeout+storeClientSlack), &cf, b64, pos, nil
}

func cmdGet(ctx context.Context, args []string, stdout, _ io.Writer) error {
	c, cf, b64, pos, err := storeFlags("get", args, 1, usageGet, stdout)
	if err != nil {
		return err
	}
	rep, err := c.Get(ctx, pos[0], b64, cf.timeout)
	if err != nil {
		return err
	}
	if cf.json {
		return printJSON(stdout, rep)
	}
	if !rep.Found {
		return notFoundError{key: pos[0]}
	}
	value := []byte(rep.Value)
	if rep.Base64 && !b64 {
		if value, err = base64.StdEncoding.DecodeString(rep.Value); err != nil {
			return fmt.Errorf("the peer sent a value that is not base64: %w", err)
		}
	}
	if _, err := fmt.Fprintf(stdout, "%s\n", value); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

func cmdPut(ctx context.Context, args []string, stdout, _ io.Writer) error {
	c, cf, b64, pos, err := storeFlags("put", args, 2, usagePut, stdout)
	if err != nil {
		return err
	}
	if b64 {
		if _, err := base64.StdEncoding.DecodeString(pos[1]); err != nil {
			return usagef("VALUE is not standard base64: %v", err)
		}
	}
	rep, err := c.Put(ctx, PutRequest{Key: pos[0], Value: pos[1], Base64: b64}, cf.timeout)
	if err != nil {
		return err
	}
	return printWrite(stdout, cf.json, rep)
}

func cmdDel(ctx context.Context, args []string, stdout, _ io.Writer) error {
	c, cf, _, pos, err := storeFlags("del", args, 1, usageDel, stdout)
	if err != nil {
		return err
	}
	rep, err := c.Del(ctx, pos[0], cf.timeout)
	if err != nil {
		return err
	}
	return printWrite(stdout, cf.json, rep)
}

// printWrite prints nothing for a successful write without --json: like cp, silence is success.
func printWrite(w io.Writer, asJSON bool, rep WriteReply) error {
	if asJSON {
		return printJSON(w, rep)
	}
	return nil
}

// notFoundError is get's answer for a key without a value.
type notFoundError struct{ key string }

func (e notFoundError) Error() string { return fmt.Sprintf("not found: %q has no value", e.key) }
func (e notFoundError) ExitCode() int { return exitNotFound }

func timeoutQuery(d time.Duration) url.Values {
	return url.Values{"timeout": {d.String()}}
}

func (c *client) Get(ctx context.Context, key string, b64 bool, timeout time.Duration) (KVReply, error) {
	var rep KVReply
	q := timeoutQuery(timeout)
	q.Set("key", key)
	if b64 {
		q.Set("base64", "1")
	}
	err := c.do(ctx, http.MethodGet, "/v1/get", q, nil, &rep)
	return rep, err
}

func (c *client) Put(ctx context.Context, req PutRequest, timeout time.Duration) (WriteReply, error) {
	var rep WriteReply
	err := c.do(ctx, http.MethodPost, "/v1/put", timeoutQuery(timeout), req, &rep)
	return rep, err
}

func (c *client) Del(ctx context.Context, key string, timeout time.Duration) (WriteReply, error) {
	var rep WriteReply
	err := c.do(ctx, http.MethodPost, "/v1/del", timeoutQuery(timeout), KeyRequest{Key: key}, &rep)
	return rep, err
}
