package node

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// logRecorder keeps the messages a logger was given, with their levels.
type logRecorder struct {
	mu   sync.Mutex
	recs []string
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, r.Level.String()+" "+r.Message)
	return nil
}
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }

func (l *logRecorder) has(prefix string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.recs {
		if strings.HasPrefix(r, prefix) {
			return true
		}
	}
	return false
}

// TestPeerGoingAwayIsNoBadFrame: a peer that goes away, or this peer stopping, ends streams
// under their readers; that is not a malformed frame and is not logged as a warning (every stop
// of a peer logged "bad frame, resetting" on the others).
func TestPeerGoingAwayIsNoBadFrame(t *testing.T) {
	rec := &logRecorder{}
	cfg := testConfig(t)
	cfg.Found = true
	cfg.Logger = slog.New(rec)
	a := startNode(t, cfg)
	var others []*Node
	for range 2 {
		cfg := testConfig(t)
		cfg.Bootstrap = a.Addrs()
		others = append(others, startNode(t, cfg))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i, o := range others {
		require.NoError(t, o.WaitJoined(ctx))
		require.NoError(t, o.Put(ctx, []byte{'k', byte(i)}, []byte("v"))) // streams carry traffic
	}
	b := others[0]
	b.skipLeave = true // gone like a crash or a kill
	require.NoError(t, b.Close())
	eventually(t, 10*time.Second, "a's reader sees b's stream end", func() (bool, string) {
		return rec.has("DEBUG peer stream ended"), "not yet"
	})
	require.NoError(t, a.Close()) // a's own streams end under its readers
	require.False(t, rec.has("WARN peer stream: bad frame"), "a peer going away is not a bad frame")
}
