package node

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(netnsEnv) != "" {
		// Re-executed inside a private network namespace by TestMDNSDiscovery: run only what
		// was asked for, and skip the leak check's cost there.
		os.Exit(m.Run())
	}
	goleak.VerifyTestMain(m, leakIgnores()...)
}

func leakIgnores() []goleak.Option {
	return []goleak.Option{
		// Process-wide workers started once by dependencies, not per node.
		goleak.IgnoreAnyFunction("github.com/ipfs/go-log/v2/writer.(*MirrorWriter).logRoutine"),
		goleak.IgnoreTopFunction("github.com/libp2p/go-libp2p/p2p/net/swarm.(*Swarm).dialWorkerLoop"),
	}
}
