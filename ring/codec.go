package ring

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Wire format (version 1), all integers unsigned varints unless noted:
//
//	version(1 byte) type(1 byte) present(1 byte bitmap)
//	From To                              NodeRef: id(16 bytes) len(addr) addr inc
//	Seq Hops Sent(signed varint)
//	[Key(16 bytes)] [Origin] [Node] [count Nodes...]   — only when the bitmap says present
//
// The decoder checks every length against what is left and against fixed limits before it
// allocates, and rejects unknown versions and types, trailing bytes and oversized input.

const (
	// MaxMessageSize bounds an encoded Message; larger input is rejected by the decoder.
	MaxMessageSize = 64 << 10
	wireVersion    = 1
	maxAddrLen     = 256
	maxNodes       = 64

	hasKey    = 1 << 0
	hasOrigin = 1 << 1
	hasNode   = 1 << 2
	hasNodes  = 1 << 3
	isFinal   = 1 << 4
	knownBits = hasKey | hasOrigin | hasNode | hasNodes | isFinal
)

// ErrMalformed marks input that is not a valid ring message.
var ErrMalformed = errors.New("ring: malformed message")

// MarshalBinary encodes m in the versioned ring wire format.
func (m *Message) MarshalBinary() ([]byte, error) {
	return m.AppendBinary(make([]byte, 0, 96+len(m.Nodes)*64))
}

// AppendBinary appends m's encoding to b (encoding.BinaryAppender): no allocation when b has room.
func (m *Message) AppendBinary(b []byte) ([]byte, error) {
	if m.Type == 0 || m.Type > maxMsgType {
		return nil, fmt.Errorf("ring: encode: unknown message type %d", m.Type)
	}
	if len(m.Nodes) > maxNodes {
		return nil, fmt.Errorf("ring: encode: %d nodes, at most %d", len(m.Nodes), maxNodes)
	}
	var present byte
	if m.Key != (ID{}) {
		present |= hasKey
	}
	if !m.Origin.IsZero() {
		present |= hasOrigin
	}
	if !m.Node.IsZero() {
		present |= hasNode
	}
	if len(m.Nodes) > 0 {
		present |= hasNodes
	}
	if m.Final {
		present |= isFinal
	}
	start := len(b)
	b = append(b, wireVersion, byte(m.Type), present)
	var err error
	if b, err = appendRef(b, m.From); err != nil {
		return nil, err
	}
	if b, err = appendRef(b, m.To); err != nil {
		return nil, err
	}
	b = binary.AppendUvarint(b, m.Seq)
	b = binary.AppendUvarint(b, uint64(m.Hops))
	b = binary.AppendVarint(b, int64(m.Sent))
	if present&hasKey != 0 {
		b = appendID(b, m.Key)
	}
	if present&hasOrigin != 0 {
		if b, err = appendRef(b, m.Origin); err != nil {
			return nil, err
		}
	}
	if present&hasNode != 0 {
		if b, err = appendRef(b, m.Node); err != nil {
			return nil, err
		}
	}
	if present&hasNodes != 0 {
		b = binary.AppendUvarint(b, uint64(len(m.Nodes)))
		for _, r := range m.Nodes {
			if b, err = appendRef(b, r); err != nil {
				return nil, err
			}
		}
	}
	if len(b)-start > MaxMessageSize {
		return nil, fmt.Errorf("ring: encode: %d bytes, limit %d", len(b)-start, MaxMessageSize)
	}
	return b, nil
}

func appendID(b []byte, id ID) []byte {
	b = binary.BigEndian.AppendUint64(b, id.Hi)
	return binary.BigEndian.AppendUint64(b, id.Lo)
}

func appendRef(b []byte, r NodeRef) ([]byte, error) {
	if len(r.Addr) > maxAddrLen {
		return nil, fmt.Errorf("ring: encode: address of %d bytes, at most %d", len(r.Addr), maxAddrLen)
	}
	b = appendID(b, r.ID)
	b = binary.AppendUvarint(b, uint64(len(r.Addr)))
	b = append(b, r.Addr...)
	return binary.AppendUvarint(b, r.Inc), nil
}

// UnmarshalBinary decodes b into m. Malformed, truncated or oversized input is an error, never a panic.
func (m *Message) UnmarshalBinary(b []byte) error {
	if len(b) > MaxMessageSize {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrMalformed, len(b), MaxMessageSize)
	}
	d := decoder{b: b}
	if v := d.byte(); d.err == nil && v != wireVersion {
		return fmt.Errorf("%w: unknown version %d", ErrMalformed, v)
	}
	var out Message
	out.Type = MsgType(d.byte())
	present := d.byte()
	if d.err == nil && (out.Type == 0 || out.Type > maxMsgType) {
		return fmt.Errorf("%w: unknown type %d", ErrMalformed, out.Type)
	}
	if d.err == nil && present&^knownBits != 0 {
		return fmt.Errorf("%w: unknown field bits %#x", ErrMalformed, present)
	}
	out.From = d.namedRef("sender")
	out.To = d.namedRef("receiver")
	out.Seq = d.uvarint()
	hops := d.uvarint()
	if hops > 1<<20 {
		d.fail("hop count out of range")
	}
	out.Hops = uint32(hops)
	out.Sent = Time(d.varint())
	out.Final = present&isFinal != 0
	if present&hasKey != 0 {
		out.Key = d.id()
	}
	if present&hasOrigin != 0 {
		out.Origin = d.namedRef("origin")
	}
	if present&hasNode != 0 {
		out.Node = d.namedRef("node")
	}
	if present&hasNodes != 0 {
		cnt := d.uvarint()
		if cnt == 0 || cnt > maxNodes {
			d.fail(fmt.Sprintf("node count %d", cnt))
		} else {
			out.Nodes = make([]NodeRef, 0, cnt)
			for i := uint64(0); i < cnt && d.err == nil; i++ {
				out.Nodes = append(out.Nodes, d.namedRef("node list entry"))
			}
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail(fmt.Sprintf("%d trailing bytes", len(d.b)))
	}
	if d.err != nil {
		return d.err
	}
	*m = out
	return nil
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrMalformed, what)
	}
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 1 {
		d.fail("truncated")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) id() ID {
	if d.err != nil {
		return ID{}
	}
	if len(d.b) < 16 {
		d.fail("truncated id")
		return ID{}
	}
	id := ID{Hi: binary.BigEndian.Uint64(d.b[0:8]), Lo: binary.BigEndian.Uint64(d.b[8:16])}
	d.b = d.b[16:]
	return id
}

func (d *decoder) ref() NodeRef {
	var r NodeRef
	r.ID = d.id()
	l := d.uvarint()
	if d.err != nil {
		return NodeRef{}
	}
	if l > maxAddrLen || l > uint64(len(d.b)) {
		d.fail(fmt.Sprintf("address length %d", l))
		return NodeRef{}
	}
	r.Addr = string(d.b[:l])
	d.b = d.b[l:]
	r.Inc = d.uvarint()
	return r
}

// namedRef reads a NodeRef that must name a node: an empty address is malformed (it would
// mean "no node" and re-encode differently).
func (d *decoder) namedRef(what string) NodeRef {
	r := d.ref()
	if d.err == nil && r.Addr == "" {
		d.fail(what + " without an address")
	}
	return r
}
