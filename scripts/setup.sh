#!/usr/bin/env bash
# Installs what building and testing DeTrans needs on Debian 12 (idempotent: installs only what
# is missing, with sudo only when not root) and checks that Go >= 1.26 is there.
#
#   scripts/setup.sh          packages to build and run the peer and the desktop app
#   scripts/setup.sh --test   also the packages the test suite needs
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

# Fyne's desktop driver (cgo): C compiler, pkg-config, GL/X11/Wayland headers (TOOLCHAIN.md).
BUILD_PKGS=(gcc libc6-dev pkg-config libgl1-mesa-dev xorg-dev libwayland-dev libxkbcommon-dev)
# Packages only tests use. The UI tests under a virtual display will need: xvfb imagemagick xdotool.
TEST_PKGS=()

want=("${BUILD_PKGS[@]}")
case "${1:-}" in
--test) want+=("${TEST_PKGS[@]}") ;;
"") ;;
*) die "usage: scripts/setup.sh [--test]" ;;
esac

missing=()
for p in "${want[@]}"; do
	# A package counts as installed only in state "install ok installed".
	if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
		missing+=("$p")
	fi
done

if ((${#missing[@]} > 0)); then
	command -v apt-get >/dev/null 2>&1 ||
		die "missing packages ${missing[*]}, and this is not a Debian-like system with apt-get: install their equivalents by hand."
	sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null 2>&1 ||
			die "missing packages ${missing[*]}: run as root, or install sudo, or run: apt-get install ${missing[*]}"
		sudo=(sudo)
	fi
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update -qq
	"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

use_go
echo "setup: ok ($(go env GOVERSION), ${#want[@]} Debian packages present)"
