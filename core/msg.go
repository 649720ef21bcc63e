package core

import (
	"errors"
	"fmt"

	"github.com/detrans/detrans/partition"
	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/txn"
)

// Layer tags a message's protocol layer on the wire. Values are part of the wire format.
type Layer uint8

const (
	LayerRing Layer = 1
	LayerTxn  Layer = 2
	LayerPart Layer = 3
)

// Msg is one message of any layer: exactly one of Ring, Txn and Part is set.
type Msg struct {
	Ring *ring.Message
	Txn  *txn.Message
	Part *partition.Message
}

// MaxMessageSize bounds an encoded Msg (the largest layer's limit plus the tag).
const MaxMessageSize = txn.MaxMessageSize + 1

// ErrMalformed marks input that is not a valid message.
var ErrMalformed = errors.New("core: malformed message")

// Src is the sender's address.
func (m Msg) Src() string {
	if m.Ring != nil {
		return m.Ring.From.Addr
	}
	if m.Txn != nil {
		return m.Txn.From.Addr
	}
	if m.Part != nil {
		return m.Part.From.Addr
	}
	return ""
}

// Unbound reports whether m may leave before the writes of the output it came in are durable:
// ring and partition messages always (those layers persist nothing), transaction messages as
// txn.Message.Unbound says.
func (m Msg) Unbound() bool {
	if m.Txn != nil {
		return m.Txn.Unbound()
	}
	return m.Ring != nil || m.Part != nil
}

// StepAtOnce reports whether a driver may feed m, addressed to its own sender, back into it
// before the writes made before it are durable: ring and partition messages always, transaction
// messages as txn.Message.StepAtOnce says.
func (m Msg) StepAtOnce() bool {
	if m.Txn != nil {
		return m.Txn.StepAtOnce()
	}
	return true
}

// Dst is the receiver's address.
func (m Msg) Dst() string {
	if m.Ring != nil {
		return m.Ring.To.Addr
	}
	if m.Txn != nil {
		return m.Txn.To.Addr
	}
	if m.Part != nil {
		return m.Part.To.Addr
	}
	return ""
}

// Kind names the message for counters and traces, e.g. "ring/stabilize".
func (m Msg) Kind() string {
	switch {
	case m.Ring != nil:
		return "ring/" + m.Ring.Type.String()
	case m.Txn != nil:
		return "txn/" + m.Txn.Type.String()
	case m.Part != nil:
		return "part/" + m.Part.Type.String()
	}
	return "none"
}

// AppendBinary appends m's encoding to b.
func (m Msg) AppendBinary(b []byte) ([]byte, error) {
	n := 0
	for _, set := range []bool{m.Ring != nil, m.Txn != nil, m.Part != nil} {
		if set {
			n++
		}
	}
	switch {
	case n != 1:
	case m.Ring != nil:
		return m.Ring.AppendBinary(append(b, byte(LayerRing)))
	case m.Part != nil:
		return m.Part.AppendBinary(append(b, byte(LayerPart)))
	case m.Txn != nil:
		return m.Txn.AppendBinary(append(b, byte(LayerTxn)))
	}
	return nil, errors.New("core: encode: a message must carry exactly one layer")
}

// MarshalBinary encodes m.
func (m Msg) MarshalBinary() ([]byte, error) { return m.AppendBinary(nil) }

// Decode decodes one message; malformed input is an error wrapping ErrMalformed.
func Decode(b []byte) (Msg, error) {
	if len(b) == 0 {
		return Msg{}, fmt.Errorf("%w: empty", ErrMalformed)
	}
	if len(b) > MaxMessageSize {
		return Msg{}, fmt.Errorf("%w: %d bytes, limit %d", ErrMalformed, len(b), MaxMessageSize)
	}
	switch Layer(b[0]) {
	case LayerRing:
		var r ring.Message
		if err := r.UnmarshalBinary(b[1:]); err != nil {
			return Msg{}, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		return Msg{Ring: &r}, nil
	case LayerTxn:
		var t txn.Message
		if err := t.UnmarshalBinary(b[1:]); err != nil {
			return Msg{}, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		return Msg{Txn: &t}, nil
	case LayerPart:
		var p partition.Message
		if err := p.UnmarshalBinary(b[1:]); err != nil {
			return Msg{}, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		return Msg{Part: &p}, nil
	}
	return Msg{}, fmt.Errorf("%w: unknown layer %d", ErrMalformed, b[0])
}
