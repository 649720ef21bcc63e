package sim

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/detrans/detrans/ring"
	"github.com/stretchr/testify/require"
)

// chaos runs 20 pingers through loss, duplication, reordering, a partition, a crash and a
// restart, and returns the trace hash. It is the scenario behind the determinism tests.
func chaos(t *testing.T, seed int64, w *bytes.Buffer, codec bool) [32]byte {
	t.Helper()
	var addrs []string
	for i := range 20 {
		addrs = append(addrs, fmt.Sprintf("n%02d", i))
	}
	cfg := Config[toyMsg]{
		Seed: seed,
		Link: Link{Latency: 5 * time.Millisecond, Jitter: 2 * time.Millisecond, Loss: 0.05, Dup: 0.02,
			Reorder: 0.05, ReorderDelay: 10 * time.Millisecond},
		Kind: toyKind,
		New: func(addr string, boot Boot) Machine[toyMsg] {
			return newPinger(addr, boot, addrs, 3, time.Second, false)
		},
	}
	if w != nil {
		cfg.Trace = w
	}
	if codec {
		cfg.Encode, cfg.Decode = toyEncode, toyDecode
	} else {
		cfg.Fingerprint = toyFingerprint
	}
	s, err := New(cfg)
	require.NoError(t, err)
	for i, a := range addrs {
		s.At(ring.Time(time.Duration(i)*10*time.Millisecond), func() { require.NoError(t, s.Start(a)) })
	}
	require.NoError(t, s.SetLink("n01", "n02", Link{Latency: 30 * time.Millisecond, Dist: LogNormal, Jitter: 10 * time.Millisecond}))
	s.At(ring.Time(3*time.Second), func() { s.Partition(addrs[:7], addrs[7:12]) })
	s.At(ring.Time(5*time.Second), func() { require.NoError(t, s.Crash("n03")) })
	s.At(ring.Time(6*time.Second), s.Heal)
	s.At(ring.Time(7*time.Second), func() { require.NoError(t, s.Restart("n03", "n04")) })
	s.RunFor(10 * time.Second)
	require.NoError(t, s.TraceErr())
	require.Greater(t, s.Stats().Delivered, uint64(500))
	return s.TraceHash()
}

func TestTraceIsDeterministic(t *testing.T) {
	for _, codec := range []bool{false, true} {
		t.Run(fmt.Sprintf("codec=%v", codec), func(t *testing.T) {
			var w1, w2 bytes.Buffer
			h1 := chaos(t, 42, &w1, codec)
			h2 := chaos(t, 42, &w2, codec)
			require.Equal(t, h1, h2)
			require.True(t, bytes.Equal(w1.Bytes(), w2.Bytes()), "text traces differ")
			require.Equal(t, h1, chaos(t, 42, nil, codec), "the hash does not depend on the text trace")
			require.NotEqual(t, h1, chaos(t, 43, nil, codec), "another seed, another trace")

			text := w1.String()
			for _, what := range []string{" send #", " deliver #", " drop #", "reason=loss", "reason=partition",
				"reason=node-down", " dup #", " tick n", " start n00", " crash n03", " restart n03 inc=2",
				" partition [", " heal", " call ref="} {
				require.Contains(t, text, what)
			}
		})
	}
}

func TestTraceLineFormat(t *testing.T) {
	var w bytes.Buffer
	ss, err := newScriptedSim(1, Link{Latency: 5 * time.Millisecond}, func(c *Config[toyMsg]) { c.Trace = &w })
	require.NoError(t, err)
	startAll(t, ss, "a", "b")
	require.NoError(t, ss.sendNow("a", "b", 'd', 9))
	ss.RunFor(time.Second)
	require.NoError(t, ss.Crash("b"))
	require.NoError(t, ss.TraceErr())
	require.Equal(t, strings.Join([]string{
		"0.000000000 start a inc=1 contacts=[]",
		"0.000000000 start b inc=1 contacts=[]",
		"0.000000000 do a",
		"0.000000000 send #1 a->b kind=d {From:a To:b Kind:100 Seq:9 Sent:0}",
		"0.005000000 deliver #1 a->b",
		"1.000000000 crash b inc=1",
		"",
	}, "\n"), w.String())
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	f.n++
	return 0, errors.New("disk full")
}

func TestTraceWriteErrorIsReportedAndHashContinues(t *testing.T) {
	ss, err := newScriptedSim(1, Link{}, func(c *Config[toyMsg]) { c.Trace = &failWriter{} })
	require.NoError(t, err)
	startAll(t, ss, "a", "b")
	require.NoError(t, ss.sendNow("a", "b", 'd', 1))
	ss.RunFor(time.Second)
	require.ErrorContains(t, ss.TraceErr(), "disk full")

	plain, err := newScriptedSim(1, Link{}, nil)
	require.NoError(t, err)
	startAll(t, plain, "a", "b")
	require.NoError(t, plain.sendNow("a", "b", 'd', 1))
	plain.RunFor(time.Second)
	require.Equal(t, plain.TraceHash(), ss.TraceHash())
}
