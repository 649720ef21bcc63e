package main

import (
	"errors"
	"net/http"

	"github.com/libp2p/go-libp2p/core/peer"
)

// The fault-injection endpoints, for tests and demos: POST /v1/fault/block {peers: [...]} cuts
// this peer off from those peers (as a network partition would), POST /v1/fault/heal lifts every
// block, GET /v1/fault shows the state. A peer started without --allow-fault-injection refuses
// block and heal with 403 and code fault_injection_disabled.

const maxBlockPeers = 1024

// FaultReply is the JSON of every /v1/fault endpoint and `fault --json`.
type FaultReply struct {
	Allowed bool     `json:"allowed"` // started with --allow-fault-injection
	Blocked []string `json:"blocked"` // peer IDs, sorted
}

// BlockRequest is the body of POST /v1/fault/block.
type BlockRequest struct {
	Peers []string `json:"peers"`
}

func faultState(p peerAPI) FaultReply {
	return FaultReply{Allowed: p.FaultInjectionAllowed(), Blocked: nonNilList(p.Blocked())}
}

func errFaultDisabled() error {
	return &httpError{code: http.StatusForbidden, kind: codeFaultDisabled,
		err: errors.New("fault injection is disabled on this peer: start it with --allow-fault-injection")}
}

func handleFaultList(_ *http.Request, p peerAPI) (any, error) {
	return faultState(p), nil
}

func handleFaultBlock(r *http.Request, p peerAPI) (any, error) {
	if !p.FaultInjectionAllowed() {
		return nil, errFaultDisabled()
	}
	var req BlockRequest
	if err := decodeBody(r, 256<<10, &req); err != nil {
		return nil, err
	}
	if len(req.Peers) == 0 {
		return nil, errorf(http.StatusBadRequest, "no peers to block")
	}
	if len(req.Peers) > maxBlockPeers {
		return nil, errorf(http.StatusBadRequest, "%d peers to block, at most %d allowed", len(req.Peers), maxBlockPeers)
	}
	self := p.Status().PeerID
	for _, s := range req.Peers {
		if _, err := peer.Decode(s); err != nil {
			return nil, errorf(http.StatusBadRequest, "%q is not a peer ID: %v", s, err)
		}
		if s == self {
			return nil, errorf(http.StatusBadRequest, "%s is this peer itself", s)
		}
	}
	if err := p.Block(req.Peers...); err != nil {
		return nil, err
	}
	return faultState(p), nil
}

func handleFaultHeal(_ *http.Request, p peerAPI) (any, error) {
	if !p.FaultInjectionAllowed() {
		return nil, errFaultDisabled()
	}
	if err := p.Heal(); err != nil {
		return nil, err
	}
	return faultState(p), nil
}

func nonNilList(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
