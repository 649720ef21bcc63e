package partition

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/detrans/detrans/ring"
)

// MsgType identifies a partition-layer message. Values are part of the wire format.
type MsgType uint8

const (
	MsgProbe      MsgType = 1 // "are you alive, and which incarnation?"
	MsgProbeReply MsgType = 2 // From carries the incarnation; Nodes: some nodes of the sender's ring
	MsgMLookup    MsgType = 3 // routed in the receiver's ring towards Target.ID; Hops
	MsgTryMerge   MsgType = 4 // to a foreign node: your neighbours in my ring are CPred and CSucc
	maxMsgType            = MsgTryMerge
)

var names = [...]string{MsgProbe: "probe", MsgProbeReply: "probe-reply", MsgMLookup: "mlookup", MsgTryMerge: "trymerge"}

func (t MsgType) String() string {
	if int(t) < len(names) && names[t] != "" {
		return names[t]
	}
	return "unknown"
}

// Message is one partition-layer message.
type Message struct {
	Type   MsgType
	From   ring.NodeRef
	To     ring.NodeRef
	Target ring.NodeRef // MLookup: the foreign node being placed
	CPred  ring.NodeRef
	CSucc  ring.NodeRef
	Nodes  []ring.NodeRef
	Hops   uint32
}

// Src is the sender's address.
func (m Message) Src() string { return m.From.Addr }

// Dst is the receiver's address.
func (m Message) Dst() string { return m.To.Addr }

const (
	maxNodes   = 32
	maxAddrLen = 256
	version    = 1
)

// ErrMalformed marks input that is not a valid partition message.
var ErrMalformed = errors.New("partition: malformed message")

func appendRef(b []byte, r ring.NodeRef) []byte {
	b = binary.BigEndian.AppendUint64(b, r.ID.Hi)
	b = binary.BigEndian.AppendUint64(b, r.ID.Lo)
	b = binary.AppendUvarint(b, uint64(len(r.Addr)))
	b = append(b, r.Addr...)
	return binary.AppendUvarint(b, r.Inc)
}

// AppendBinary appends m's encoding to b.
func (m *Message) AppendBinary(b []byte) ([]byte, error) {
	if m.Type == 0 || m.Type > maxMsgType {
		return nil, fmt.Errorf("partition: encode: unknown type %d", m.Type)
	}
	if len(m.Nodes) > maxNodes {
		return nil, fmt.Errorf("partition: encode: %d nodes, at most %d", len(m.Nodes), maxNodes)
	}
	for _, r := range append([]ring.NodeRef{m.From, m.To, m.Target, m.CPred, m.CSucc}, m.Nodes...) {
		if len(r.Addr) > maxAddrLen {
			return nil, fmt.Errorf("partition: encode: address of %d bytes", len(r.Addr))
		}
	}
	b = append(b, version, byte(m.Type))
	for _, r := range []ring.NodeRef{m.From, m.To, m.Target, m.CPred, m.CSucc} {
		b = appendRef(b, r)
	}
	b = binary.AppendUvarint(b, uint64(len(m.Nodes)))
	for _, r := range m.Nodes {
		b = appendRef(b, r)
	}
	return binary.AppendUvarint(b, uint64(m.Hops)), nil
}

// MarshalBinary encodes m.
func (m *Message) MarshalBinary() ([]byte, error) { return m.AppendBinary(nil) }

type dec struct {
	b   []byte
	err error
}

func (d *dec) fail(s string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrMalformed, s)
	}
}

func (d *dec) u() uint64 {
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

func (d *dec) ref() ring.NodeRef {
	if d.err != nil {
		return ring.NodeRef{}
	}
	if len(d.b) < 16 {
		d.fail("truncated id")
		return ring.NodeRef{}
	}
	r := ring.NodeRef{ID: ring.ID{Hi: binary.BigEndian.Uint64(d.b[:8]), Lo: binary.BigEndian.Uint64(d.b[8:16])}}
	d.b = d.b[16:]
	l := d.u()
	if d.err == nil && (l > maxAddrLen || l > uint64(len(d.b))) {
		d.fail("address length")
		return ring.NodeRef{}
	}
	if d.err != nil {
		return ring.NodeRef{}
	}
	r.Addr = string(d.b[:l])
	d.b = d.b[l:]
	r.Inc = d.u()
	if r.Addr == "" && (r.ID != ring.ID{} || r.Inc != 0) {
		d.fail("node without an address")
	}
	return r
}

// UnmarshalBinary decodes b into m; malformed input is an error wrapping ErrMalformed, never a
// panic, and leaves m untouched.
func (m *Message) UnmarshalBinary(b []byte) error {
	if len(b) < 2 || b[0] != version {
		return fmt.Errorf("%w: bad header", ErrMalformed)
	}
	var o Message
	o.Type = MsgType(b[1])
	if o.Type == 0 || o.Type > maxMsgType {
		return fmt.Errorf("%w: unknown type %d", ErrMalformed, b[1])
	}
	d := dec{b: b[2:]}
	o.From, o.To, o.Target, o.CPred, o.CSucc = d.ref(), d.ref(), d.ref(), d.ref(), d.ref()
	n := d.u()
	if d.err == nil && n > maxNodes {
		d.fail("too many nodes")
	}
	for i := uint64(0); d.err == nil && i < n; i++ {
		o.Nodes = append(o.Nodes, d.ref())
	}
	hops := d.u()
	if d.err == nil && hops > 1<<20 {
		d.fail("hop count")
	}
	o.Hops = uint32(hops)
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return d.err
	}
	*m = o
	return nil
}
