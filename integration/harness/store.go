package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"testing"
	"time"
)

// Store operations through a peer's admin API. Load generators use the HTTP endpoints directly
// (starting a CLI process per write would cost more than the write); StoreCLI runs the real
// command line for the checks where the CLI itself is under test.

// Outcome is what a store operation's caller may assume.
type Outcome int

const (
	// OK: the operation completed (a write committed and was acknowledged).
	OK Outcome = iota
	// NoQuorum: no majority of the key's replica group answered; nothing changed.
	NoQuorum
	// Conflict: the transaction kept losing races; nothing changed.
	Conflict
	// Unknown: a write's outcome is unknown (it may have committed).
	Unknown
	// Failed: anything else (the peer is down, a time-out of a read, a bad request).
	Failed
)

func (o Outcome) String() string {
	switch o {
	case OK:
		return "ok"
	case NoQuorum:
		return "no quorum"
	case Conflict:
		return "conflict"
	case Unknown:
		return "unknown outcome"
	}
	return "failed"
}

// httpClient is shared by every peer: its connection pool keeps load from opening a TCP
// connection per request.
var httpClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// apiCall sends one request to p's admin API and decodes a 200 reply into out. A non-200 reply
// is classified by its error code.
func (p *Peer) apiCall(ctx context.Context, method, path string, q url.Values, in, out any) (Outcome, error) {
	api := p.Ready().API
	if api == "" {
		return Failed, fmt.Errorf("peer %s was never started", p.Name)
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return Failed, err
		}
		body = bytes.NewReader(b)
	}
	u := url.URL{Scheme: "http", Host: api, Path: path, RawQuery: q.Encode()}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return Failed, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return Failed, fmt.Errorf("peer %s: %w", p.Name, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return Failed, fmt.Errorf("peer %s: %w", p.Name, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
			Code  string `json:"code"`
		}
		_ = json.Unmarshal(b, &e)
		err := fmt.Errorf("peer %s: %s %s: HTTP %d: %s", p.Name, method, path, resp.StatusCode, e.Error)
		switch e.Code {
		case "no_quorum":
			return NoQuorum, err
		case "conflict":
			return Conflict, err
		case "unknown_outcome":
			return Unknown, err
		}
		return Failed, err
	}
	if err := json.Unmarshal(b, out); err != nil {
		return Failed, fmt.Errorf("peer %s: %s %s: bad reply %q: %w", p.Name, method, path, b, err)
	}
	return OK, nil
}

// Put writes value to key through p, the peer giving up after timeout.
func (p *Peer) Put(ctx context.Context, key, value string, timeout time.Duration) (Outcome, error) {
	var rep struct{}
	in := map[string]string{"key": key, "value": value}
	return p.apiCall(ctx, http.MethodPost, "/v1/put", url.Values{"timeout": {timeout.String()}}, in, &rep)
}

// Get reads key through p (a quorum read), the peer giving up after timeout.
func (p *Peer) Get(ctx context.Context, key string, timeout time.Duration) (value string, found bool, o Outcome, err error) {
	var rep struct {
		Found  bool   `json:"found"`
		Value  string `json:"value"`
		Base64 bool   `json:"base64"`
	}
	o, err = p.apiCall(ctx, http.MethodGet, "/v1/get", url.Values{"key": {key}, "timeout": {timeout.String()}}, nil, &rep)
	if err == nil && rep.Base64 {
		return "", false, Failed, fmt.Errorf("peer %s: get %q: value is not text", p.Name, key)
	}
	return rep.Value, rep.Found, o, err
}

// StoreCLI runs `detrans-node COMMAND --api <p's API> ARGS...` and classifies its exit code the
// way the command documents it (3 no quorum, 4 conflict, 5 unknown outcome).
func (p *Peer) StoreCLI(ctx context.Context, command string, args ...string) (string, Outcome, error) {
	out, err := p.CLI(ctx, command, args...)
	if err == nil {
		return out, OK, nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		switch ee.ExitCode() {
		case 3:
			return out, NoQuorum, err
		case 4:
			return out, Conflict, err
		case 5:
			return out, Unknown, err
		}
	}
	return out, Failed, err
}

// WaitWritable writes a probe key through every peer until each write commits: after joins
// and repairs, replica groups take a moment to settle on their members.
func WaitWritable(t testing.TB, peers []*Peer, timeout time.Duration) {
	t.Helper()
	for _, p := range peers {
		Eventually(t, timeout, "peer "+p.Name+" commits writes", func() (bool, string) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			o, err := p.Put(ctx, "harness/probe/"+p.Name, "1", 5*time.Second)
			if o != OK {
				return false, fmt.Sprintf("%v: %v", o, err)
			}
			return true, ""
		})
	}
}
