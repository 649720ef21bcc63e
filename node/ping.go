package node

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

const (
	pingProto protocol.ID = "/detrans/ping/1"
	// maxPingPayload bounds what the echo side reads: a ping is a sequence number, nothing more.
	maxPingPayload = 64
	pingTimeout    = 10 * time.Second
)

// pinger keeps one persistent ping stream per peer, so a Ping measures a round trip over an
// established stream rather than stream setup.
type pinger struct {
	n      *Node
	mu     sync.Mutex
	conns  map[peer.ID]*pingConn
	closed bool
}

type pingConn struct {
	sem chan struct{} // one ping at a time per stream; a channel so waiting honours ctx
	s   network.Stream
	br  *bufio.Reader
	seq uint64
	buf []byte
}

func newPinger(n *Node) *pinger { return &pinger{n: n, conns: map[peer.ID]*pingConn{}} }

// Ping measures one request/response round trip to peerID over /detrans/ping/1.
func (n *Node) Ping(ctx context.Context, peerID string) (time.Duration, error) {
	p, err := peer.Decode(peerID)
	if err != nil {
		return 0, fmt.Errorf("ping: bad peer ID %q: %w", peerID, err)
	}
	if err := ctx.Err(); err != nil {
		// A reply can win the race against a context already done; the caller asked for none.
		return 0, fmt.Errorf("ping %s: %w", peerID, err)
	}
	rtt, err := n.pings.ping(ctx, p)
	if err != nil {
		return 0, fmt.Errorf("ping %s: %w", peerID, err)
	}
	return rtt, nil
}

func (pg *pinger) conn(p peer.ID) (*pingConn, error) {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	if pg.closed {
		return nil, errClosed
	}
	c, ok := pg.conns[p]
	if !ok {
		c = &pingConn{sem: make(chan struct{}, 1)}
		pg.conns[p] = c
	}
	return c, nil
}

func (pg *pinger) ping(ctx context.Context, p peer.ID) (time.Duration, error) {
	c, err := pg.conn(p)
	if err != nil {
		return 0, err
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	defer func() { <-c.sem }()
	if c.s == nil {
		s, err := pg.n.openStream(ctx, p, pingProto)
		if err != nil {
			return 0, err
		}
		// Register under the lock so closeAll cannot miss a stream opened concurrently.
		pg.mu.Lock()
		if pg.closed {
			pg.mu.Unlock()
			_ = s.Reset()
			return 0, errClosed
		}
		c.s, c.br = s, bufio.NewReader(s)
		pg.mu.Unlock()
	}
	rtt, err := c.roundTrip(ctx)
	if err != nil {
		pg.mu.Lock()
		_ = c.s.Reset()
		c.s, c.br = nil, nil
		pg.mu.Unlock()
		return 0, err
	}
	return rtt, nil
}

func (c *pingConn) roundTrip(ctx context.Context) (time.Duration, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(pingTimeout)
	}
	_ = c.s.SetDeadline(deadline)
	s := c.s
	stop := context.AfterFunc(ctx, func() { _ = s.Reset() })
	defer stop()

	c.seq++
	var payload [8]byte
	binary.BigEndian.PutUint64(payload[:], c.seq)
	frame := appendFrame(c.buf[:0], payload[:])
	c.buf = frame
	start := time.Now()
	if _, err := s.Write(frame); err != nil {
		return 0, ctxErr(ctx, fmt.Errorf("write: %w", err))
	}
	echo, err := readFrame(c.br, nil, maxPingPayload)
	if err != nil {
		return 0, ctxErr(ctx, fmt.Errorf("read: %w", err))
	}
	rtt := time.Since(start)
	if !bytes.Equal(echo, payload[:]) {
		return 0, errors.New("reply does not match request")
	}
	return rtt, nil
}

// ctxErr prefers the context's reason over the stream error it caused.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return err
}

// serve echoes every ping frame back until the stream ends.
func (pg *pinger) serve(s network.Stream) {
	br := bufio.NewReader(s)
	bw := bufio.NewWriter(s)
	buf := make([]byte, maxPingPayload)
	out := make([]byte, 0, maxPingPayload+2)
	for {
		payload, err := readFrame(br, buf, maxPingPayload)
		if err != nil {
			_ = s.Reset()
			return
		}
		out = appendFrame(out[:0], payload)
		if _, err := bw.Write(out); err != nil {
			_ = s.Reset()
			return
		}
		// Flush only when no further request is already buffered: pipelined pings batch.
		if br.Buffered() == 0 {
			if err := bw.Flush(); err != nil {
				_ = s.Reset()
				return
			}
		}
	}
}

func (pg *pinger) closeAll() {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	pg.closed = true
	for _, c := range pg.conns {
		if c.s != nil {
			_ = c.s.Reset()
		}
	}
}
