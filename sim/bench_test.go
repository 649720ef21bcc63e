package sim

import (
	"fmt"
	"testing"
	"time"
)

// benchSim is 1000 toy nodes that each ping 3 random peers per second.
func benchSim(b *testing.B, codec bool) *Sim[toyMsg] {
	var addrs []string
	for i := range 1000 {
		addrs = append(addrs, fmt.Sprintf("n%04d", i))
	}
	cfg := Config[toyMsg]{
		Seed:        1,
		Link:        Link{Latency: 5 * time.Millisecond, Jitter: 2 * time.Millisecond, Loss: 0.01},
		Fingerprint: toyFingerprint,
		New: func(addr string, boot Boot) Machine[toyMsg] {
			return newPinger(addr, boot, addrs, 3, time.Second, false)
		},
	}
	if codec {
		cfg.Encode, cfg.Decode = toyEncode, toyDecode
	}
	s := MustNew(cfg)
	for _, a := range addrs {
		if err := s.Start(a); err != nil {
			b.Fatal(err)
		}
	}
	s.RunFor(2 * time.Second) // warm up: slices and heaps at their working size
	return s
}

// BenchmarkSimEvents reports the simulator's own throughput (events/s of wall time) on a toy
// protocol whose machines do almost nothing, i.e. the overhead per event of queue, network
// model, trace hash and machine calls.
func BenchmarkSimEvents(b *testing.B) {
	for _, codec := range []bool{false, true} {
		b.Run(fmt.Sprintf("codec=%v", codec), func(b *testing.B) {
			s := benchSim(b, codec)
			b.ReportAllocs()
			start := s.Stats().Events
			b.ResetTimer()
			for b.Loop() {
				s.RunFor(100 * time.Millisecond)
			}
			events := s.Stats().Events - start
			b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
		})
	}
}
