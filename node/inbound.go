package node

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/detrans/detrans/core"
	"github.com/libp2p/go-libp2p/core/network"
)

// handleStream reads frames from one inbound stream until it ends. Anything malformed resets
// the stream: the sender is broken or hostile, and resyncing a framed stream is not possible.
func (n *Node) handleStream(s network.Stream) {
	remote := s.Conn().RemotePeer().String()
	br := bufio.NewReader(s)
	var buf []byte
	for {
		payload, err := readFrame(br, buf, maxFrameBytes)
		if errors.Is(err, io.EOF) {
			_ = s.Close()
			return
		}
		if err != nil {
			n.log.Warn("peer stream: bad frame, resetting", "from", shortPeer(remote), "err", err)
			_ = s.Reset()
			return
		}
		buf = payload
		m, err := n.decodeMessage(payload)
		if err != nil {
			n.log.Warn("peer stream: undecodable message, resetting", "from", shortPeer(remote), "err", err)
			_ = s.Reset()
			return
		}
		if m.Src() != remote {
			// The connection is authenticated; a From naming someone else is a forgery.
			n.log.Warn("peer stream: message claims another sender, resetting", "from", shortPeer(remote), "claimed", m.Src())
			_ = s.Reset()
			return
		}
		if m.Dst() != n.self.Addr {
			n.log.Debug("message for another peer dropped", "from", shortPeer(remote), "to", m.Dst())
			continue
		}
		select {
		case n.inbound <- m:
		case <-n.loopDone:
			_ = s.Reset()
			return
		}
	}
}

// decodeMessage decodes a frame payload and turns a decoder panic into an error: bytes from the
// network must never bring the node down, whatever state the codec is in.
func (n *Node) decodeMessage(b []byte) (m core.Msg, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder panicked: %v", r)
		}
	}()
	m, err = n.decodePayload(b)
	if err != nil {
		return core.Msg{}, fmt.Errorf("decode message: %w", err)
	}
	return m, nil
}
