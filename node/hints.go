package node

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/detrans/detrans/core"
	"github.com/detrans/detrans/ring"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	ma "github.com/multiformats/go-multiaddr"
)

// Frames on /detrans/peer/1 carry one protocol message plus dial hints: the addresses we know
// of the peers the message names (a joiner the receiver must answer, acceptors it must vote
// to). Protocols name peers by ID only; without hints, a receiver that never met them would
// depend on the DHT having them already — which a joiner, by definition, is not yet.
//
//	payload = version(1) count{ len(peerID) peerID count{ len(addr) addr } } coreMessage
//
// Hints are only dial suggestions: connections are authenticated by peer ID (Noise), so a wrong
// address fails to connect and nothing else.
//
// A hint about a peer goes to a destination at most once per hintEvery: transaction messages
// name the same acceptors and views over and over, and encoding, parsing and storing their
// addresses every time cost about 7% of a busy peer's CPU. A receiver that restarted meanwhile
// gets the hint again within hintEvery (and has the DHT until then).

const (
	frameVersion  = 1
	maxHintPeers  = 16
	maxHintAddrs  = 4
	maxHintLen    = 256
	maxFrameBytes = core.MaxMessageSize + maxHintPeers*(maxHintLen+maxHintAddrs*(maxHintLen+2)+2) + 16

	hintEvery    = 5 * time.Second
	maxHintCache = 1 << 16 // (destination, peer) pairs remembered; past it the cache starts over
)

// hintKey is a (destination, named peer) pair whose hint was sent.
type hintKey struct{ dst, named string }

var errBadHints = errors.New("malformed dial hints")

// namedPeers lists the peers a message names besides its sender and receiver.
func namedPeers(m core.Msg) []string {
	var out []string
	add := func(r ring.NodeRef) {
		if r.Addr != "" && len(out) < maxHintPeers {
			out = append(out, r.Addr)
		}
	}
	switch {
	case m.Ring != nil:
		add(m.Ring.Origin)
		add(m.Ring.Node)
		for _, r := range m.Ring.Nodes {
			add(r)
		}
	case m.Txn != nil:
		add(m.Txn.TM)
		for _, r := range m.Txn.Acceptors {
			add(r)
		}
		for _, r := range m.Txn.View.Slots {
			add(r)
		}
	}
	return out
}

// appendFrameOf appends a length-prefixed frame for m, with hints for the peers it names, to
// dst; on error dst is returned unchanged.
func (n *Node) appendFrameOf(dst []byte, m core.Msg) ([]byte, error) {
	// The frame's length prefix goes in front of the payload once its length is known: the
	// payload is built after room for the longest prefix, then moved down over the unused room.
	const room = binary.MaxVarintLen64
	base := len(dst)
	b := append(dst, make([]byte, room)...)
	b = append(b, frameVersion)
	type hint struct {
		id    string
		addrs [][]byte
	}
	var hints []hint
	seen := make([]string, 0, maxHintPeers+2) // a message names a few peers: a slice beats a map
	seen = append(seen, n.self.Addr, m.Dst())
	now := time.Now()
	for _, id := range namedPeers(m) {
		if slices.Contains(seen, id) {
			continue
		}
		seen = append(seen, id)
		key := hintKey{dst: m.Dst(), named: id}
		if at, ok := n.hinted[key]; ok && now.Sub(at) < hintEvery {
			continue
		}
		pid, err := n.peerIDOf(id)
		if err != nil {
			continue
		}
		var addrs [][]byte
		for _, a := range n.host.Peerstore().Addrs(pid) {
			if len(addrs) == maxHintAddrs {
				break
			}
			if ab := a.Bytes(); len(ab) <= maxHintLen {
				addrs = append(addrs, ab)
			}
		}
		if len(addrs) > 0 {
			hints = append(hints, hint{id: string(pid), addrs: addrs})
			if n.hinted == nil || len(n.hinted) >= maxHintCache {
				n.hinted = map[hintKey]time.Time{}
			}
			n.hinted[key] = now
		}
	}
	b = binary.AppendUvarint(b, uint64(len(hints)))
	for _, h := range hints {
		b = binary.AppendUvarint(b, uint64(len(h.id)))
		b = append(b, h.id...)
		b = binary.AppendUvarint(b, uint64(len(h.addrs)))
		for _, a := range h.addrs {
			b = binary.AppendUvarint(b, uint64(len(a)))
			b = append(b, a...)
		}
	}
	b, err := m.AppendBinary(b)
	if err != nil {
		return dst, err
	}
	payload := len(b) - base - room
	k := binary.PutUvarint(b[base:], uint64(payload))
	copy(b[base+k:], b[base+room:])
	return b[:base+k+payload], nil
}

// decodePayload splits a frame payload into hints (added to the peerstore for peers we have no
// address of) and the message.
func (n *Node) decodePayload(b []byte) (core.Msg, error) {
	if len(b) == 0 || b[0] != frameVersion {
		return core.Msg{}, fmt.Errorf("unknown frame version")
	}
	b = b[1:]
	next := func(limit uint64) ([]byte, error) {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > limit || l > uint64(len(b)-k) {
			return nil, errBadHints
		}
		v := b[k : k+int(l)]
		b = b[k+int(l):]
		return v, nil
	}
	count := func(limit uint64) (int, error) {
		c, k := binary.Uvarint(b)
		if k <= 0 || c > limit {
			return 0, errBadHints
		}
		b = b[k:]
		return int(c), nil
	}
	peers, err := count(maxHintPeers)
	if err != nil {
		return core.Msg{}, err
	}
	type hint struct {
		id    peer.ID
		addrs []ma.Multiaddr
	}
	hints := make([]hint, 0, peers)
	for range peers {
		id, err := next(maxHintLen)
		if err != nil {
			return core.Msg{}, err
		}
		na, err := count(maxHintAddrs)
		if err != nil {
			return core.Msg{}, err
		}
		h := hint{id: peer.ID(id)}
		for range na {
			ab, err := next(maxHintLen)
			if err != nil {
				return core.Msg{}, err
			}
			if a, err := ma.NewMultiaddrBytes(ab); err == nil {
				h.addrs = append(h.addrs, a)
			}
		}
		hints = append(hints, h)
	}
	m, err := core.Decode(b)
	if err != nil {
		return core.Msg{}, err
	}
	ps := n.host.Peerstore()
	for _, h := range hints {
		if h.id.Validate() != nil || h.id == n.host.ID() || len(h.addrs) == 0 || len(ps.Addrs(h.id)) > 0 {
			continue
		}
		ps.AddAddrs(h.id, h.addrs, peerstore.TempAddrTTL)
	}
	return m, nil
}
