package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"syscall"
	"time"

	"github.com/detrans/detrans/node"
)

// maxReplySize bounds what the client reads from the admin API.
const maxReplySize = 16 << 20

// client talks to a running peer's admin API.
type client struct {
	addr string
	hc   *http.Client
}

func newClient(addr string, timeout time.Duration) *client {
	return &client{addr: addr, hc: &http.Client{Timeout: timeout}}
}

func (c *client) Status(ctx context.Context) (node.Status, error) {
	var st node.Status
	err := c.do(ctx, http.MethodGet, "/v1/status", nil, nil, &st)
	return st, err
}

func (c *client) Lookup(ctx context.Context, key string) (LookupReply, error) {
	var rep LookupReply
	err := c.do(ctx, http.MethodGet, "/v1/lookup", url.Values{"key": {key}}, nil, &rep)
	return rep, err
}

// do sends one request (in, if not nil, as its JSON body) and decodes a 200 reply into out.
// Errors say in one line what went wrong from the user's point of view: nobody listening, no
// answer in time, not a detrans-node, or the peer's own error message (a *remoteError).
func (c *client) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	u := url.URL{Scheme: "http", Host: c.addr, Path: path, RawQuery: q.Encode()}
	var reqBody io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("admin API request: %w", err)
		}
		reqBody = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), reqBody)
	if err != nil {
		return fmt.Errorf("admin API request: %w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return c.transportError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReplySize))
	if err != nil {
		return fmt.Errorf("reading the reply of the detrans-node at %s: %w", c.addr, err)
	}
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct != "application/json" {
		return fmt.Errorf("the server at %s is not a detrans-node admin API (HTTP %d, content type %q)", c.addr, resp.StatusCode, ct)
	}
	if resp.StatusCode != http.StatusOK {
		var e errorReply
		if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
			return fmt.Errorf("detrans-node at %s: HTTP %d", c.addr, resp.StatusCode)
		}
		return &remoteError{code: resp.StatusCode, kind: e.Code, msg: e.Error}
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("detrans-node at %s sent a reply we cannot read: %w", c.addr, err)
	}
	return nil
}

func (c *client) transportError(err error) error {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("no detrans-node is answering at %s: is it running?", c.addr)
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fmt.Errorf("the detrans-node at %s did not answer in time", c.addr)
	}
	return fmt.Errorf("no detrans-node is answering at %s: %w", c.addr, err)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// remoteError is an error reported by the peer itself.
type remoteError struct {
	code int    // HTTP status
	kind string // errorReply.Code, "" if none
	msg  string
}

func (e *remoteError) Error() string { return e.msg }

// ExitCode gives store outcomes their own exit codes, so scripts can tell "nothing happened,
// try again later" from "it may have happened" without parsing messages.
func (e *remoteError) ExitCode() int {
	switch e.kind {
	case codeNoQuorum:
		return exitNoQuorum
	case codeConflict:
		return exitConflict
	case codeUnknownOutcome:
		return exitUnknown
	}
	return exitFail
}

// clientFlags are the flags of every command that talks to a running peer.
type clientFlags struct {
	api     string
	data    string
	timeout time.Duration
	json    bool
}

func (cf *clientFlags) register(fs *flag.FlagSet) { cf.registerTimeout(fs, 15*time.Second) }

// registerTimeout is register with another default for --timeout.
func (cf *clientFlags) registerTimeout(fs *flag.FlagSet, timeout time.Duration) {
	fs.StringVar(&cf.api, "api", "", "admin API address of the peer (default "+defaultAPI+")")
	fs.StringVar(&cf.data, "data", "", "find the peer's API address in `DIR`/api.addr")
	fs.DurationVar(&cf.timeout, "timeout", timeout, "give up waiting for the peer after this long")
	fs.BoolVar(&cf.json, "json", false, "print JSON")
}

// resolveAPI picks the peer to talk to: --api, else the api.addr in --data, else the one in the
// default data dir, else the default address.
func (cf *clientFlags) resolveAPI() (string, error) {
	if cf.api != "" && cf.data != "" {
		return "", usagef("give --api or --data, not both")
	}
	if cf.api != "" {
		addr, err := loopbackAddr(cf.api)
		if err != nil {
			return "", usageError{err}
		}
		return addr, nil
	}
	if cf.data != "" {
		addr, err := readAPIAddr(cf.data)
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("no detrans-node is running with data dir %s (it has no %s)", cf.data, apiAddrFile)
		}
		return addr, err
	}
	if dir, err := defaultDataDir(); err == nil {
		if addr, err := readAPIAddr(dir); err == nil {
			return addr, nil
		}
	}
	return defaultAPI, nil
}

func (cf *clientFlags) client() (*client, error) {
	if cf.timeout <= 0 {
		return nil, usagef("--timeout must be positive")
	}
	addr, err := cf.resolveAPI()
	if err != nil {
		return nil, err
	}
	return newClient(addr, cf.timeout), nil
}
