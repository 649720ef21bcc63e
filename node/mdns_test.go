package node

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// netnsEnv marks a test binary re-executed inside a private network namespace.
const netnsEnv = "DETRANS_TEST_IN_NETNS"

// TestMDNSDiscovery runs nodes that find each other only by mDNS. Multicast must never leave
// the machine, so the test re-executes itself inside a fresh network namespace holding nothing
// but a loopback interface with multicast switched on.
func TestMDNSDiscovery(t *testing.T) {
	if os.Getenv(netnsEnv) == "" {
		unshare, err := exec.LookPath("unshare")
		if err != nil {
			t.Fatalf("the mDNS test runs in its own network namespace and needs unshare (util-linux) and root: %v", err)
		}
		cmd := exec.Command(unshare, "-n", "sh", "-c", `ip link set lo up multicast on && exec "$0" "$@"`,
			os.Args[0], "-test.run=^TestMDNSDiscovery$", "-test.count=1", "-test.v", "-test.timeout=3m")
		cmd.Env = append(os.Environ(), netnsEnv+"=1")
		out, err := cmd.CombinedOutput()
		t.Logf("inside the network namespace:\n%s", out)
		require.NoError(t, err, "mDNS test in a private network namespace failed (unshare -n needs root or user namespaces; ip needs iproute2)")
		return
	}
	ifaces, err := net.Interfaces()
	require.NoError(t, err)
	for _, ifc := range ifaces {
		require.Equal(t, net.FlagLoopback, ifc.Flags&net.FlagLoopback,
			"refusing to send mDNS: interface %s is not loopback, so this is not a private namespace", ifc.Name)
	}

	const count = 3
	nodes := make([]*Node, count)
	for i := range nodes {
		cfg := testConfig(t)
		cfg.MDNS = true
		cfg.MDNSService = "detrans-test"
		cfg.MDNSGrace = time.Second
		nodes[i] = startNode(t, cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, n := range nodes {
		require.NoError(t, n.WaitJoined(ctx))
	}
	// Generous: under the whole suite's load a handshake can miss its time-out and the next
	// announcement comes seconds later.
	eventually(t, 60*time.Second, "every node connected to the others via mDNS", func() (bool, string) {
		for _, n := range nodes {
			if got := len(n.Status().ConnectedPeers); got < count-1 {
				return false, fmt.Sprintf("%s has %d connected peers", n.PeerID(), got)
			}
		}
		return true, ""
	})
	checkOneRing(t, nodes)
}
