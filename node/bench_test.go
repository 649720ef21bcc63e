package node

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkPingRoundTrip measures one request/response over /detrans/ping/1 between two nodes
// on loopback (TCP, Noise, yamux), reporting the latency distribution.
func BenchmarkPingRoundTrip(b *testing.B) {
	a := startNode(b, testConfig(b))
	cfg := testConfig(b)
	cfg.Bootstrap = a.Addrs()
	c := startNode(b, cfg)
	ctx := context.Background()
	for range 100 { // warm up the stream and the scheduler
		_, err := c.Ping(ctx, a.PeerID())
		require.NoError(b, err)
	}
	rtts := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		rtt, err := c.Ping(ctx, a.PeerID())
		if err != nil {
			b.Fatal(err)
		}
		rtts = append(rtts, rtt)
	}
	b.StopTimer()
	slices.Sort(rtts)
	pct := func(p float64) float64 { return float64(rtts[int(p*float64(len(rtts)-1))].Microseconds()) }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}
