#!/usr/bin/env bash
# Sets up what is needed, builds, and starts a headless DeTrans peer in the foreground (Ctrl-C
# leaves the ring and stops it). Later this starts the desktop app.
#
#   scripts/run.sh [detrans-node run flags]   e.g. --join /ip4/.../p2p/PEER_ID --data DIR
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
source scripts/lib.sh
use_go
mkdir -p bin
go build -o bin/detrans-node ./cmd/detrans-node
echo "run: bin/detrans-node run $*  (in another terminal: bin/detrans-node status)"
exec bin/detrans-node run "$@"
