package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/detrans/detrans/ring"

	"github.com/stretchr/testify/require"
)

func TestParseScript(t *testing.T) {
	acts, err := ParseScript(strings.NewReader(`
# a comment
at 0s start n0
at 1s start n1..n3 via n0 spaced 100ms   # trailing comment
at 2s partition n0 n1 | n2..n3
at 3s heal
at 4s link n1 n2 both latency=20ms loss=0.5 flap=1s/200ms lognormal
at 5s link * * latency=1ms
at 6s unlink n1 n2 both
at 7s crash n001..n003
`))
	require.NoError(t, err)
	require.Equal(t, 8, len(acts))
	require.Equal(t, Action{Line: 4, At: time.Second, Verb: "start", Nodes: []string{"n1", "n2", "n3"},
		Contacts: []string{"n0"}, Spaced: 100 * time.Millisecond}, acts[1])
	require.Equal(t, [][]string{{"n0", "n1"}, {"n2", "n3"}}, acts[2].Groups)
	require.True(t, acts[4].Both)
	require.Equal(t, []string{"latency=20ms", "loss=0.5", "flap=1s/200ms", "lognormal"}, acts[4].LinkSet)
	require.Equal(t, []string{"n001", "n002", "n003"}, acts[7].Nodes)

	for _, bad := range []struct{ text, err string }{
		{"start n0", "line 1: want"},
		{"\n\nat x start n0", "line 3: time"},
		{"at -1s start n0", "time"},
		{"at 1s explode n0", "unknown action"},
		{"at 1s start", "no node"},
		{"at 1s crash n0 via n1", "via is only"},
		{"at 1s start n0 spaced", "spaced"},
		{"at 1s start n5..n3", "range"},
		{"at 1s start a..b", "range"},
		{"at 1s partition | n1", "empty group"},
		{"at 1s heal now", "no arguments"},
		{"at 1s link n1", "pair"},
		{"at 1s link * n1", "both ends"},
		{"at 1s link n1 n2 loss=2", "probability"},
		{"at 1s link n1 n2 latency=fast", "duration"},
		{"at 1s link n1 n2 flap=1s", "period/down"},
		{"at 1s link n1 n2 flap=1s/2s", "flapping"},
		{"at 1s link n1 n2 colour=red", "unknown"},
		{"at 1s unlink n1 n2 loss=1", "unlink takes"},
	} {
		_, err := ParseScript(strings.NewReader(bad.text))
		require.ErrorContains(t, err, bad.err, bad.text)
	}
}

func TestScriptDrivesTheSimulation(t *testing.T) {
	ss, err := newScriptedSim(30, Link{Latency: time.Millisecond}, nil)
	require.NoError(t, err)
	require.NoError(t, ss.Script(strings.NewReader(`
at 0s start n0
at 1s start n1..n3 via n0 spaced 100ms
at 2s partition n0 n1 | n2 n3
at 3s heal
at 4s link n1 n2 both down
at 5s crash n3
at 6s restart n3 via n1
at 7s unlink n1 n2
at 8s link * * latency=7ms
at 9s crash n9
`)))
	ss.RunFor(1150 * time.Millisecond)
	require.Equal(t, ring.Time(1100*time.Millisecond), ss.cur("n2").boot.Now)
	require.Equal(t, []string{"n0"}, ss.cur("n2").boot.Contacts)
	require.Equal(t, []string{"n0", "n1", "n2"}, ss.Live())
	ss.RunFor(time.Second)
	require.Equal(t, []string{"n0", "n1", "n2", "n3"}, ss.Live())
	require.False(t, ss.Reachable("n1", "n2"))
	require.True(t, ss.Reachable("n2", "n3"))
	ss.RunFor(time.Second)
	require.True(t, ss.Reachable("n1", "n2"))
	ss.RunFor(time.Second)
	require.False(t, ss.Reachable("n1", "n2"))
	require.False(t, ss.Reachable("n2", "n1"))
	ss.RunFor(2 * time.Second)
	require.Equal(t, uint64(2), ss.Inc("n3"))
	ss.RunFor(time.Second)
	require.True(t, ss.Reachable("n1", "n2"))
	require.False(t, ss.Reachable("n2", "n1"), "unlink without both clears one direction")
	ss.RunFor(time.Second)
	require.Equal(t, 7*time.Millisecond, ss.LinkOf("n0", "n1").Latency)
	require.NoError(t, ss.ScriptErr())
	ss.RunFor(time.Second)
	require.ErrorContains(t, ss.ScriptErr(), "scenario line 11 (crash at 9s): sim crash n9: not running")

	require.ErrorContains(t, ss.Script(strings.NewReader("at 1s fly")), "line 1")
}
