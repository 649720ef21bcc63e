package integration

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/detrans/detrans/integration/harness"
	"github.com/stretchr/testify/require"
)

// benchResult is the part of bench's JSON line the tests look at.
type benchResult struct {
	Mode          string  `json:"mode"`
	Committed     int64   `json:"committed"`
	CommittedPerS float64 `json:"committed_per_s"`
	Reads         int64   `json:"reads"`
	Aborts        int64   `json:"aborts"`
	Errors        int64   `json:"errors"`
	NoQuorum      int64   `json:"no_quorum"`
	P50MS         float64 `json:"p50_ms"`
	P99MS         float64 `json:"p99_ms"`
	CPUMSPerTx    float64 `json:"cpu_ms_per_tx"`
	CheckOK       bool    `json:"check_ok"`
	Local         bool    `json:"local"`
	Edits         int64   `json:"edits"`
	Unseen        int64   `json:"unseen"`
	VisibleP50MS  float64 `json:"visible_p50_ms"`
	VisibleP99MS  float64 `json:"visible_p99_ms"`
}

func lastJSONLine(t *testing.T, out string) benchResult {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var r benchResult
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &r), "bench --json ends with one JSON line: %q", out)
	return r
}

// TestBenchCommand runs `detrans-node bench` briefly: on a cluster it starts itself (read-modify-
// write, whose counters must add up), and in read mode against running peers (--api). Numbers
// are not judged, only that the load ran, nothing failed and the output has its shape.
func TestBenchCommand(t *testing.T) {
	c := harness.NewCluster(t, bin)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	out, err := c.CLI(ctx, "bench", "--nodes", "3", "--clients", "4", "--keys", "50", "--duration", "1s", "--warmup", "0s", "--json")
	require.NoError(t, err)
	r := lastJSONLine(t, out)
	t.Logf("bench rmw: %+v", r)
	require.Equal(t, "rmw", r.Mode)
	require.True(t, r.Local)
	require.Positive(t, r.Committed)
	require.Zero(t, r.Errors+r.NoQuorum)
	require.True(t, r.CheckOK, "the counters add up to the committed increments")
	require.Positive(t, r.P50MS)
	require.GreaterOrEqual(t, r.P99MS, r.P50MS)
	require.Positive(t, r.CPUMSPerTx)
	require.Contains(t, out, "committed ")

	out, err = c.CLI(ctx, "bench", "--nodes", "2", "--mode", "local", "--keys", "40", "--interval", "5ms", "--json")
	require.NoError(t, err)
	r = lastJSONLine(t, out)
	t.Logf("bench local: %+v", r)
	require.Equal(t, "local", r.Mode)
	require.Equal(t, int64(40), r.Edits, "every edit returned")
	require.Zero(t, r.Unseen, "the other peer saw every edit through Watch")
	require.Zero(t, r.Errors)
	require.Positive(t, r.P50MS)
	require.Positive(t, r.VisibleP50MS)
	require.GreaterOrEqual(t, r.VisibleP99MS, r.VisibleP50MS)

	peers := c.StartRing(3, harness.JoinFirst)
	c.WaitOneRing(peers, formTimeout)
	args := []string{"bench", "--mode", "read", "--clients", "3", "--keys", "20", "--duration", "1s", "--warmup", "0s", "--json"}
	for _, p := range peers[1:] { // a subset of the ring: bench must not wait for a ring of two
		args = append(args, "--api", p.Ready().API)
	}
	out, err = c.CLI(ctx, args...)
	require.NoError(t, err)
	r = lastJSONLine(t, out)
	t.Logf("bench read --api: %+v", r)
	require.False(t, r.Local)
	require.Positive(t, r.Reads)
	require.Zero(t, r.Errors+r.NoQuorum)
}
