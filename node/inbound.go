package node

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/detrans/detrans/ring"
	"github.com/libp2p/go-libp2p/core/network"
)

// handleRing reads ring frames from one inbound stream until it ends. Anything malformed
// resets the stream: the sender is broken or hostile, and resyncing a framed stream is not
// possible anyway.
func (n *Node) handleRing(s network.Stream) {
	remote := s.Conn().RemotePeer().String()
	br := bufio.NewReader(s)
	var buf []byte
	for {
		payload, err := readFrame(br, buf, ring.MaxMessageSize)
		if errors.Is(err, io.EOF) {
			_ = s.Close()
			return
		}
		if err != nil {
			n.log.Warn("ring stream: bad frame, resetting", "from", shortPeer(remote), "err", err)
			_ = s.Reset()
			return
		}
		buf = payload
		m, err := decodeMessage(payload)
		if err != nil {
			n.log.Warn("ring stream: undecodable message, resetting", "from", shortPeer(remote), "err", err)
			_ = s.Reset()
			return
		}
		if m.From.Addr != remote {
			// The connection is authenticated; a From naming someone else is a forgery.
			n.log.Warn("ring stream: message claims another sender, resetting", "from", shortPeer(remote), "claimed", m.From.Addr)
			_ = s.Reset()
			return
		}
		if m.To.Addr != n.self.Addr {
			n.log.Debug("ring message for another peer dropped", "from", shortPeer(remote), "to", m.To.Addr)
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

// decodeMessage decodes b and turns a decoder panic into an error: bytes from the network must
// never bring the node down, whatever state the codec is in.
func decodeMessage(b []byte) (m ring.Message, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder panicked: %v", r)
		}
	}()
	if err := m.UnmarshalBinary(b); err != nil {
		return ring.Message{}, fmt.Errorf("decode ring message: %w", err)
	}
	return m, nil
}
