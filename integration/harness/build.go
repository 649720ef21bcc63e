package harness

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// RaceEnv, when set to 1, makes Build compile detrans-node with the race detector, so a race in
// a peer process shows up in its log (and fails the test).
const RaceEnv = "DETRANS_RACE_BINARY"

const binaryPkg = "github.com/detrans/detrans/cmd/detrans-node"

// Build compiles detrans-node into dir and returns its path. Call it once per test binary (in
// TestMain): the Go build cache makes it a link step when nothing changed. It must run with the
// working directory inside the module, which `go test` guarantees.
func Build(dir string) (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	bin := filepath.Join(dir, "detrans-node")
	args := []string{"build", "-o", bin}
	if os.Getenv(RaceEnv) == "1" {
		args = append(args, "-race")
	}
	args = append(args, binaryPkg)
	cmd := exec.Command(goBin, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return bin, nil
}
