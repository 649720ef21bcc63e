package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/detrans/detrans/node"
	"github.com/detrans/detrans/txn"
)

// The store endpoints: GET /v1/get?key=K, POST /v1/put {key, value, base64}, POST /v1/del {key}.
// Each takes ?timeout=D (default 5 s) and answers within it. Failures carry a code that says what
// the caller may assume: no_quorum and conflict changed nothing, unknown_outcome may have
// committed (a write whose commit was sent but not confirmed, or that timed out).

const (
	defaultStoreTimeout = 5 * time.Second
	maxStoreTimeout     = 2 * time.Minute
	maxValueLen         = txn.MaxValueSize
	// maxBodyLen fits a maximal value in base64 plus the JSON around it.
	maxBodyLen = maxValueLen/3*4 + 64<<10
)

// Error codes in errorReply.Code.
const (
	codeNoQuorum       = "no_quorum"
	codeConflict       = "conflict"
	codeUnknownOutcome = "unknown_outcome"
	codeTimeout        = "timeout"
	codeFaultDisabled  = "fault_injection_disabled"
)

// KVReply is the JSON of GET /v1/get and `get --json`.
type KVReply struct {
	Key     string `json:"key"`
	Found   bool   `json:"found"`
	Version uint64 `json:"version"` // 0: never written
	Value   string `json:"value"`   // UTF-8 text, or standard base64 when Base64 is true
	Base64  bool   `json:"base64"`
}

// PutRequest is the body of POST /v1/put.
type PutRequest struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Base64 bool   `json:"base64,omitempty"` // Value is standard base64 of the bytes to store
}

// KeyRequest is the body of POST /v1/del.
type KeyRequest struct {
	Key string `json:"key"`
}

// WriteReply is the JSON of a successful put or del.
type WriteReply struct {
	Key string `json:"key"`
	OK  bool   `json:"ok"`
}

func checkKey(key string) error {
	switch {
	case key == "":
		return errorf(http.StatusBadRequest, "empty key")
	case len(key) > maxKeyLen:
		return errorf(http.StatusBadRequest, "key is %d bytes, at most %d allowed", len(key), maxKeyLen)
	}
	return nil
}

// storeContext bounds one store request by its ?timeout= (default defaultStoreTimeout).
func storeContext(r *http.Request) (context.Context, context.CancelFunc, time.Duration, error) {
	d := defaultStoreTimeout
	if s := r.URL.Query().Get("timeout"); s != "" {
		var err error
		if d, err = time.ParseDuration(s); err != nil || d <= 0 || d > maxStoreTimeout {
			return nil, nil, 0, errorf(http.StatusBadRequest, "timeout %q: want a positive duration up to %s, e.g. 5s", s, maxStoreTimeout)
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), d)
	return ctx, cancel, d, nil
}

// decodeBody reads a JSON body of at most limit bytes into v, refusing unknown fields (a typo in
// a field name must not silently write an empty value).
func decodeBody(r *http.Request, limit int64, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, limit+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errorf(http.StatusBadRequest, "missing JSON body")
		}
		return errorf(http.StatusBadRequest, "bad JSON body: %v", err)
	}
	if dec.More() {
		return errorf(http.StatusBadRequest, "bad JSON body: more than one value")
	}
	return nil
}

// storeError says what a failed store operation means for the caller, as a code and a message
// prefix ("no quorum: ..."). A write cut off by its deadline may have committed.
func storeError(err error, write bool, timeout time.Duration) error {
	wrap := func(code int, kind, prefix string) error {
		return &httpError{code: code, kind: kind, err: fmt.Errorf("%s: %w", prefix, err)}
	}
	switch {
	case errors.Is(err, txn.ErrUnknownOutcome):
		return wrap(http.StatusServiceUnavailable, codeUnknownOutcome, "unknown outcome (the write may or may not have committed)")
	case errors.Is(err, node.ErrNoQuorum):
		return wrap(http.StatusServiceUnavailable, codeNoQuorum, "no quorum")
	case errors.Is(err, node.ErrConflict):
		return wrap(http.StatusConflict, codeConflict, "conflict")
	case errors.Is(err, context.DeadlineExceeded) && write:
		return wrap(http.StatusGatewayTimeout, codeUnknownOutcome, fmt.Sprintf("unknown outcome: no answer within %s (the write may or may not have committed)", timeout))
	case errors.Is(err, context.DeadlineExceeded):
		return wrap(http.StatusGatewayTimeout, codeTimeout, fmt.Sprintf("timed out: no answer within %s", timeout))
	}
	return err
}

func handleGet(r *http.Request, p peerAPI) (any, error) {
	q := r.URL.Query()
	if !q.Has("key") {
		return nil, errorf(http.StatusBadRequest, "missing query parameter key")
	}
	key := q.Get("key")
	if err := checkKey(key); err != nil {
		return nil, err
	}
	ctx, cancel, d, err := storeContext(r)
	if err != nil {
		return nil, err
	}
	defer cancel()
	it, err := p.Get(ctx, []byte(key))
	if err != nil {
		return nil, storeError(err, false, d)
	}
	rep := KVReply{Key: key, Found: it.Found, Version: it.Version}
	if q.Get("base64") == "1" || q.Get("base64") == "true" || !utf8.Valid(it.Value) {
		rep.Value, rep.Base64 = base64.StdEncoding.EncodeToString(it.Value), true
	} else {
		rep.Value = string(it.Value)
	}
	return rep, nil
}

func handlePut(r *http.Request, p peerAPI) (any, error) {
	var req PutRequest
	if err := decodeBody(r, maxBodyLen, &req); err != nil {
		return nil, err
	}
	if err := checkKey(req.Key); err != nil {
		return nil, err
	}
	value := []byte(req.Value)
	if req.Base64 {
		var err error
		if value, err = base64.StdEncoding.DecodeString(req.Value); err != nil {
			return nil, errorf(http.StatusBadRequest, "value is not standard base64: %v", err)
		}
	}
	if len(value) > maxValueLen {
		return nil, errorf(http.StatusBadRequest, "value is %d bytes, at most %d allowed", len(value), maxValueLen)
	}
	ctx, cancel, d, err := storeContext(r)
	if err != nil {
		return nil, err
	}
	defer cancel()
	if err := p.Put(ctx, []byte(req.Key), value); err != nil {
		return nil, storeError(fmt.Errorf("put %q: %w", req.Key, err), true, d)
	}
	return WriteReply{Key: req.Key, OK: true}, nil
}

func handleDel(r *http.Request, p peerAPI) (any, error) {
	var req KeyRequest
	if err := decodeBody(r, 64<<10, &req); err != nil {
		return nil, err
	}
	if err := checkKey(req.Key); err != nil {
		return nil, err
	}
	ctx, cancel, d, err := storeContext(r)
	if err != nil {
		return nil, err
	}
	defer cancel()
	if err := p.Delete(ctx, []byte(req.Key)); err != nil {
		return nil, storeError(fmt.Errorf("del %q: %w", req.Key, err), true, d)
	}
	return WriteReply{Key: req.Key, OK: true}, nil
}
