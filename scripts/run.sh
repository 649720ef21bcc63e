#!/usr/bin/env bash
# Sets up what is needed, builds, and starts DeTransDraw, the desktop app, with its embedded peer
# (data in the app's storage: ~/.config/fyne/org.detrans.draw on Linux). Quit the app to stop it.
#
#   scripts/run.sh                               the desktop app
#   scripts/run.sh --headless [run flags]        the headless peer instead (detrans-node run),
#                                                e.g. --join /ip4/.../p2p/PEER_ID --data DIR
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
source scripts/lib.sh
use_go
mkdir -p bin
if [ "${1:-}" = "--headless" ]; then
	shift
	go build -o bin/detrans-node ./cmd/detrans-node
	echo "run: bin/detrans-node run $*  (in another terminal: bin/detrans-node status)"
	exec bin/detrans-node run "$@"
fi
[ $# -eq 0 ] || die "usage: scripts/run.sh | scripts/run.sh --headless [detrans-node run flags]"
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
	die "no graphical display (DISPLAY and WAYLAND_DISPLAY are unset): run this in a desktop session, or start the headless peer with: scripts/run.sh --headless"
fi
echo "run: building DeTransDraw (the first build compiles the GL driver: a minute or two)"
go build -o bin/detransdraw .
exec bin/detransdraw
