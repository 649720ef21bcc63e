package node

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/detrans/detrans/core"
	"github.com/libp2p/go-libp2p/core/network"
)

// handleStream reads frames from one inbound stream until it ends. Anything malformed resets
// the stream: the sender is broken or hostile, and resyncing a framed stream is not possible.
//
// Messages go to the loop in batches: every frame already complete in the read buffer joins
// the batch (one channel hand-off and one wake-up of the loop for a burst, not one per message),
// but the reader never waits for more bytes while it holds decoded messages.
func (n *Node) handleStream(s network.Stream) {
	remote := s.Conn().RemotePeer().String()
	br := bufio.NewReaderSize(s, 64<<10)
	var buf []byte
	for {
		var batch []core.Msg
		for len(batch) < maxInboundBatch && (len(batch) == 0 || frameBuffered(br)) {
			payload, err := readFrame(br, buf, maxFrameBytes)
			if errors.Is(err, io.EOF) && len(batch) == 0 {
				n.log.Debug("peer stream ended", "from", shortPeer(remote))
				_ = s.Close()
				return
			}
			if err != nil {
				if n.streamEnded(s, err) {
					n.log.Debug("peer stream ended", "from", shortPeer(remote), "err", err)
				} else {
					n.log.Warn("peer stream: bad frame, resetting", "from", shortPeer(remote), "err", err)
				}
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
			batch = append(batch, m)
		}
		if len(batch) == 0 {
			continue
		}
		select {
		case n.inbound <- batch:
		case <-n.loopDone:
			_ = s.Reset()
			return
		}
	}
}

// streamEnded tells a stream that ended under its reader (this node stopping, the peer gone,
// the stream reset or cut mid-frame) from one that carried a malformed frame: only the latter
// says something is wrong with the sender.
func (n *Node) streamEnded(s network.Stream, err error) bool {
	select {
	case <-n.quit:
		return true
	default:
	}
	return s.Conn().IsClosed() || errors.Is(err, network.ErrReset) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// maxInboundBatch bounds the messages one hand-off to the loop carries.
const maxInboundBatch = 64

// frameBuffered reports whether br holds a whole frame, so reading it cannot block.
func frameBuffered(br *bufio.Reader) bool {
	have := br.Buffered()
	if have == 0 {
		return false
	}
	head, _ := br.Peek(min(have, binary.MaxVarintLen64))
	l, k := binary.Uvarint(head)
	return k > 0 && l <= uint64(have-k)
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
