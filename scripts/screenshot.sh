#!/usr/bin/env bash
# Launches DeTransDraw under a virtual X display with a fresh data directory and its demo scene
# (DETRANS_DEMO=1), draws one more stroke with real pointer events (xdotool), saves a screenshot
# of the window and quits the app.
#
#   scripts/screenshot.sh [out.png]      default: /tmp/detrans-draw.png
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
out=$(realpath -m "${1:-/tmp/detrans-draw.png}")

need=()
command -v Xvfb >/dev/null 2>&1 || need+=(xvfb)
command -v import >/dev/null 2>&1 || need+=(imagemagick)
command -v xdotool >/dev/null 2>&1 || need+=(xdotool)
if ((${#need[@]})); then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "installing ${need[*]}"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

use_go
tmp=$(mktemp -d)
app_pid="" xvfb_pid=""
cleanup() {
	if [ -n "$app_pid" ]; then kill "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null || true; fi
	if [ -n "$xvfb_pid" ]; then kill "$xvfb_pid" 2>/dev/null && wait "$xvfb_pid" 2>/dev/null || true; fi
	rm -rf "$tmp" 2>/dev/null || true
}
trap cleanup EXIT

echo "building"
go build -o "$tmp/detransdraw" .

# A display number nobody uses.
n=91
while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
export DISPLAY=":$n"
Xvfb "$DISPLAY" -screen 0 1280x800x24 -nolisten tcp >"$tmp/xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 50); do xdotool getdisplaygeometry >/dev/null 2>&1 && break; sleep 0.1; done

# A fresh home, so the app's storage and preferences start empty.
mkdir -p "$tmp/home/.cache" "$tmp/home/.config" "$tmp/home/.local/share"
mkdir -m 700 "$tmp/run"
HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" XDG_DATA_HOME="$tmp/home/.local/share" \
	XDG_CACHE_HOME="$tmp/home/.cache" XDG_RUNTIME_DIR="$tmp/run" FYNE_THEME="${FYNE_THEME:-light}" \
	DETRANS_DEMO=1 DETRANS_MDNS=0 DETRANS_LISTEN=/ip4/127.0.0.1/tcp/0 LIBGL_ALWAYS_SOFTWARE=1 "$tmp/detransdraw" >"$tmp/app.log" 2>&1 &
app_pid=$!

echo "waiting for the demo scene"
canvas=""
for _ in $(seq 600); do
	canvas=$(sed -n 's/^DETRANS_DEMO ready canvas=//p' "$tmp/app.log")
	[ -n "$canvas" ] && break
	kill -0 "$app_pid" 2>/dev/null || { cat "$tmp/app.log"; die "the app exited early"; }
	sleep 0.1
done
[ -n "$canvas" ] || { cat "$tmp/app.log"; die "the demo scene did not come up within 60 s"; }
IFS=, read -r cx cy cw ch <<<"$canvas"
win=$(xdotool search --sync --name 'DeTransDraw' | head -1)
xdotool windowmove --sync "$win" 0 0 || true
eval "$(xdotool getwindowgeometry --shell "$win")" # X Y WIDTH HEIGHT of the window

# A pen stroke with real input events: focus the canvas with a click on empty paper, press P,
# then drag a star into the empty corner; then click once more with the select tool (V).
ox=$((X + cx)) oy=$((Y + cy))
xdotool mousemove $((ox + cw - 40)) $((oy + ch - 30)) click 1
sleep 0.3
xdotool key p
sleep 0.2
sx=$((ox + 860)) sy=$((oy + 560)) # the star's centre
first=1
for i in $(seq 0 50); do
	read -r x y < <(awk -v i="$i" -v cx="$sx" -v cy="$sy" 'BEGIN {
		# five points, outer radius 70, inner 30, walked in 50 steps along the outline
		k = int(i / 5); f = (i % 5) / 5
		a0 = -1.5708 + k * 0.6283; a1 = a0 + 0.6283
		r0 = (k % 2 == 0) ? 70 : 30; r1 = (k % 2 == 0) ? 30 : 70
		x0 = cx + r0 * cos(a0); y0 = cy + r0 * sin(a0); x1 = cx + r1 * cos(a1); y1 = cy + r1 * sin(a1)
		printf "%d %d\n", x0 + (x1 - x0) * f, y0 + (y1 - y0) * f }')
	if ((first)); then
		xdotool mousemove "$x" "$y" mousedown 1
		first=0
	else
		xdotool mousemove "$x" "$y"
	fi
	sleep 0.01
done
xdotool mouseup 1
sleep 0.2
xdotool key v
sleep 0.2
xdotool mousemove $((ox + 800)) $((oy + 160)) click 1
xdotool mousemove $((ox + cw / 2)) $((oy + ch - 10))
sleep 1.5

import -window "$win" "$out"
echo "screenshot: $out (${WIDTH}x${HEIGHT})"

# Quit as a user would (Ctrl+Q), so the app shuts its peer down cleanly; kill only if it hangs.
xdotool key ctrl+q || true
for _ in $(seq 50); do kill -0 "$app_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$app_pid" 2>/dev/null; then
	echo "warning: the app did not quit on Ctrl+Q; killing it" >&2
else
	wait "$app_pid" || echo "warning: the app exited with status $?" >&2
	app_pid=""
fi
grep -v '^DETRANS_DEMO' "$tmp/app.log" | tail -20 >&2 || true
