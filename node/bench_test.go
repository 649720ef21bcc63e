package node

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/detrans/detrans/local"
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

// BenchmarkLocalEdit measures, on 4 peers on loopback keeping mirrors, how long Local takes to
// return (the edit is on disk and in the local view) and how long until another peer's
// WatchLocal sees it committed:
//
//	go test -run '^$' -bench BenchmarkLocalEdit -benchtime 2000x ./node/
func BenchmarkLocalEdit(b *testing.B) {
	cfg := mirrorConfig(b)
	cfg.Found = true
	first := startNode(b, cfg)
	nodes := []*Node{first}
	for range 3 {
		nodes = append(nodes, startNode(b, withBoot(mirrorConfig(b), first)))
	}
	ctx := context.Background()
	for _, n := range nodes {
		require.NoError(b, n.WaitJoined(ctx))
	}
	a, w := nodes[1], nodes[3]
	seen := make(chan string, 1024)
	cancel := w.WatchLocal("bench/", func(c local.Change) { seen <- c.Key })
	defer cancel()
	// Warm up until the groups have settled and the watcher sees edits.
	for i := 0; ; i++ {
		require.NoError(b, a.Local(ctx, local.Intent{Kind: "append", Writes: []local.Write{{Key: "bench/warm", Value: []byte(strconv.Itoa(i))}}}))
		select {
		case <-seen:
		case <-time.After(100 * time.Millisecond):
			continue
		}
		if i > 50 {
			break
		}
	}
	localLat := make([]time.Duration, 0, b.N)
	visible := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		key := "bench/k" + strconv.Itoa(i%64)
		start := time.Now()
		require.NoError(b, a.Local(ctx, local.Intent{Kind: "append", Writes: []local.Write{{Key: key, Value: []byte(strconv.Itoa(i))}}}))
		returned := time.Now()
		localLat = append(localLat, returned.Sub(start))
		for k := range seen {
			if k == key {
				break
			}
		}
		visible = append(visible, time.Since(returned))
	}
	b.StopTimer()
	pct := func(d []time.Duration, p float64) float64 {
		slices.Sort(d)
		return float64(d[int(p*float64(len(d)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(localLat, 0.5), "local-p50-ms")
	b.ReportMetric(pct(localLat, 0.99), "local-p99-ms")
	b.ReportMetric(pct(visible, 0.5), "visible-p50-ms")
	b.ReportMetric(pct(visible, 0.99), "visible-p99-ms")
}
