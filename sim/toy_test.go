package sim

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/detrans/detrans/ring"
)

// toyMsg is the message of the toy protocols used to test the simulator.
type toyMsg struct {
	From, To string
	Kind     byte // 'p' ping, 'q' pong, 'd' data (one-way), 'z' encodes to garbage
	Seq      uint64
	Sent     ring.Time
}

func (m toyMsg) Src() string { return m.From }
func (m toyMsg) Dst() string { return m.To }

func toyKind(m toyMsg) string { return string(m.Kind) }

func toyFingerprint(b []byte, m toyMsg) []byte {
	b = append(b, m.From...)
	b = append(b, 0)
	b = append(b, m.To...)
	b = append(b, 0, m.Kind)
	b = binary.LittleEndian.AppendUint64(b, m.Seq)
	return binary.LittleEndian.AppendUint64(b, uint64(m.Sent))
}

func toyEncode(m toyMsg) ([]byte, error) {
	if m.Kind == 'z' {
		return []byte{0xff}, nil // garbage: Decode must reject it
	}
	if m.Kind == 'e' {
		return nil, errors.New("toy: cannot encode kind e")
	}
	b := []byte{1, byte(len(m.From)), byte(len(m.To))}
	return toyFingerprint(b, m), nil
}

func toyDecode(b []byte) (toyMsg, error) {
	if len(b) < 3 || b[0] != 1 {
		return toyMsg{}, errors.New("toy: bad header")
	}
	nf, nt := int(b[1]), int(b[2])
	b = b[3:]
	if len(b) != nf+1+nt+2+16 {
		return toyMsg{}, errors.New("toy: bad length")
	}
	m := toyMsg{From: string(b[:nf]), To: string(b[nf+1 : nf+1+nt])}
	b = b[nf+1+nt+1:]
	m.Kind = b[0]
	m.Seq = binary.LittleEndian.Uint64(b[1:])
	m.Sent = ring.Time(binary.LittleEndian.Uint64(b[9:]))
	return m, nil
}

// recv is what a toy node observed.
type recv struct {
	at  ring.Time
	msg toyMsg
}

// pinger pings fanout random peers every period (jittered by its own seed) and answers pings.
// It records every message it receives and every tick, for the tests to inspect.
type pinger struct {
	addr   string
	boot   Boot
	peers  []string
	fanout int
	period time.Duration
	rng    *rand.Rand
	next   ring.Time
	seq    uint64
	out    []toyMsg
	got    []recv
	ticks  []ring.Time
	record bool
}

func newPinger(addr string, boot Boot, peers []string, fanout int, period time.Duration, record bool) *pinger {
	p := &pinger{addr: addr, boot: boot, peers: peers, fanout: fanout, period: period, record: record,
		rng: rand.New(rand.NewPCG(uint64(boot.Seed), 1))}
	if fanout > 0 {
		p.next = boot.Now.Add(time.Duration(p.rng.Int64N(int64(period))) + 1)
	}
	return p
}

func (p *pinger) Step(now ring.Time, m toyMsg) {
	if p.record {
		p.got = append(p.got, recv{now, m})
	}
	if m.Kind == 'p' {
		p.out = append(p.out, toyMsg{From: p.addr, To: m.From, Kind: 'q', Seq: m.Seq, Sent: now})
	}
}

func (p *pinger) Tick(now ring.Time) {
	if p.record {
		p.ticks = append(p.ticks, now)
	}
	if p.fanout == 0 || now < p.next {
		return
	}
	for range p.fanout {
		to := p.peers[p.rng.IntN(len(p.peers))]
		if to == p.addr {
			continue
		}
		p.seq++
		p.out = append(p.out, toyMsg{From: p.addr, To: to, Kind: 'p', Seq: p.seq, Sent: now})
	}
	p.next = now.Add(p.period)
}

func (p *pinger) Ready() ([]toyMsg, ring.Time) {
	out := p.out
	p.out = p.out[:0]
	if p.fanout == 0 {
		return out, 0
	}
	return out, p.next
}

// scripted is a machine that sends what the test queues with Do and records what it gets.
type scripted struct {
	addr  string
	boot  Boot
	out   []toyMsg
	got   []recv
	ticks []ring.Time
	wake  ring.Time
	onRun func(now ring.Time, s *scripted) // called on Tick
}

func (s *scripted) Step(now ring.Time, m toyMsg) { s.got = append(s.got, recv{now, m}) }
func (s *scripted) Tick(now ring.Time) {
	s.ticks = append(s.ticks, now)
	s.wake = 0
	if s.onRun != nil {
		s.onRun(now, s)
	}
}
func (s *scripted) Ready() ([]toyMsg, ring.Time) {
	out := s.out
	s.out = nil
	return out, s.wake
}

func (s *scripted) send(to string, kind byte, seq uint64, now ring.Time) {
	s.out = append(s.out, toyMsg{From: s.addr, To: to, Kind: kind, Seq: seq, Sent: now})
}

// scriptedSim makes a sim of scripted machines; machines are also kept by address and
// incarnation so tests can look at crashed ones.
type scriptedSim struct {
	*Sim[toyMsg]
	all map[string][]*scripted
}

func newScriptedSim(seed int64, link Link, mod func(*Config[toyMsg])) (*scriptedSim, error) {
	ss := &scriptedSim{all: map[string][]*scripted{}}
	cfg := Config[toyMsg]{
		Seed: seed,
		Link: link,
		Kind: toyKind,
		New: func(addr string, boot Boot) Machine[toyMsg] {
			m := &scripted{addr: addr, boot: boot}
			ss.all[addr] = append(ss.all[addr], m)
			return m
		},
	}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	ss.Sim = s
	return ss, nil
}

// cur is addr's newest incarnation.
func (ss *scriptedSim) cur(addr string) *scripted {
	l := ss.all[addr]
	return l[len(l)-1]
}

// sendAt queues a message from src to dst at the current time through Do.
func (ss *scriptedSim) sendNow(src, dst string, kind byte, seq uint64) error {
	return ss.Do(src, func(m Machine[toyMsg]) { m.(*scripted).send(dst, kind, seq, ss.Now()) })
}
