#!/usr/bin/env bash
# Builds DeTransDraw's Linux package with the pinned fyne CLI (tools/fyne), and installs it.
#
#   scripts/package.sh [--os linux]          build dist/DeTransDraw.tar.xz (the first run takes
#                                            ~8 min: the release build recompiles the cgo driver)
#   scripts/package.sh --install [PREFIX]    install that package into PREFIX (default ~/.local):
#                                            bin/detransdraw, the menu entry and the icon
#   scripts/package.sh --uninstall [PREFIX]  remove what --install put there (not the app's data)
#
# The package is built from the files git tracks, as they are in the work tree (git add a new
# file to have it packaged), copied to a temporary directory: `fyne build`/`fyne package` write
# into the directory they build (a generated fyne_metadata_init.go, FyneApp.toml's Build bumped,
# a binary named after the module deleted), which must not happen in a shared checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
source scripts/lib.sh

# toml_value KEY prints the first `KEY = "value"` of FyneApp.toml (Name and ID are in [Details]).
toml_value() {
	sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\"\(.*\)\"[[:space:]]*\$/\1/p" FyneApp.toml | head -1
}
name=$(toml_value Name)
app_id=$(toml_value ID)
{ [ -n "$name" ] && [ -n "$app_id" ]; } || die "FyneApp.toml has no Name or ID in [Details]"
exe=$(tr '[:upper:]' '[:lower:]' <<<"$name") # detransdraw, as scripts/run.sh names it
tarball=dist/$name.tar.xz

usage() {
	die "usage: scripts/package.sh [--os linux] | --install [PREFIX] | --uninstall [PREFIX]"
}

# build_package makes dist/$name.tar.xz for the target OS.
build_package() {
	local os=$1
	[ "$os" = linux ] ||
		die "only --os linux is packaged here (Android and iOS need the Android NDK or Xcode, which this machine does not have)"
	./scripts/setup.sh
	use_go
	command -v xz >/dev/null 2>&1 || die "xz is needed to make the .tar.xz: apt-get install xz-utils"

	local start=$SECONDS
	mkdir -p bin dist
	echo "package: building the fyne CLI pinned in tools/fyne"
	go -C tools/fyne build -o "$root/bin/fyne" fyne.io/tools/cmd/fyne

	stage=$(mktemp -d "${TMPDIR:-/tmp}/detrans-package.XXXXXX")
	trap 'rm -rf "$stage"' EXIT
	mkdir "$stage/src"
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		# Tracked files that still exist (a deleted one is not packaged).
		git ls-files -z | while IFS= read -r -d '' f; do
			if [ -e "$f" ]; then printf '%s\0' "$f"; fi
		done | tar --null -T - -cf - | tar -xf - -C "$stage/src"
	else
		tar --exclude=./.git --exclude=./bin --exclude=./dist -cf - . | tar -xf - -C "$stage/src"
	fi

	# fyne build (not go build) so that FyneApp.toml's metadata (id, version, icon) is compiled
	# in; -o gives the binary its app name instead of the module's ("detrans").
	echo "package: fyne build --release (quiet for several minutes on the first run)"
	(cd "$stage/src" && "$root/bin/fyne" build --os "$os" --release -o "$stage/$exe")
	echo "package: fyne package"
	(cd "$stage/src" && "$root/bin/fyne" package --os "$os" --release --executable "$stage/$exe")
	[ -f "$stage/src/$name.tar.xz" ] || die "fyne package made no $name.tar.xz"
	mv -f "$stage/src/$name.tar.xz" "$tarball"

	echo "package: $tarball ($(du -h "$tarball" | cut -f1), $((SECONDS - start)) s):"
	tar -tJf "$tarball" | sed 's/^/  /'
	echo "install it with: scripts/package.sh --install [PREFIX]   (default ~/.local)"
}

# png_size FILE prints WIDTHxHEIGHT from the PNG's IHDR chunk.
png_size() {
	[ "$(dd if="$1" bs=1 skip=12 count=4 2>/dev/null)" = IHDR ] || die "$1 is not a PNG file"
	od -An -tu1 -j16 -N8 "$1" | awk '{ printf "%dx%d\n", $1*16777216 + $2*65536 + $3*256 + $4, $5*16777216 + $6*65536 + $7*256 + $8 }'
}

# install_package unpacks dist/$name.tar.xz and installs its binary, .desktop file and icon
# under PREFIX. The tarball's own Makefile is not used: its install rule names the icon without
# its .png extension and fails, and it puts the icon in share/pixmaps, which desktops search
# only under /usr/share, not under ~/.local/share.
install_package() {
	local prefix=$1
	[ -f "$tarball" ] || die "$tarball not found: build it first with scripts/package.sh"

	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	tar -xJf "$tarball" -C "$tmp"

	# The layout is DIR/usr/local/{bin,share} (or DIR/usr/{bin,share} where the packaging
	# machine has no /usr/local): find the share/applications entry and go from there.
	local desktops=() bins=() icons=()
	mapfile -t desktops < <(find "$tmp" -path '*/share/applications/*.desktop')
	((${#desktops[@]} == 1)) || die "expected one .desktop file in $tarball, found ${#desktops[@]}"
	local usr
	usr=$(dirname "$(dirname "$(dirname "${desktops[0]}")")")
	mapfile -t bins < <(find "$usr/bin" -maxdepth 1 -type f)
	mapfile -t icons < <(find "$usr/share/pixmaps" -maxdepth 1 -name '*.png')
	((${#bins[@]} == 1)) || die "expected one binary in $usr/bin of $tarball, found ${#bins[@]}"
	((${#icons[@]} == 1)) || die "expected one PNG icon in $usr/share/pixmaps of $tarball, found ${#icons[@]}"

	local bin_name icon_name size desktop_dst icon_dst exec_path
	bin_name=$(basename "${bins[0]}")
	icon_name=$(basename "${icons[0]}" .png)
	size=$(png_size "${icons[0]}")
	desktop_dst=$prefix/share/applications/$(basename "${desktops[0]}")
	icon_dst=$prefix/share/icons/hicolor/$size/apps/$icon_name.png

	install -Dm755 "${bins[0]}" "$prefix/bin/$bin_name"
	install -Dm644 "${icons[0]}" "$icon_dst"
	install -Dm644 "${desktops[0]}" "$desktop_dst"

	# Exec by full path, so the menu entry works even when PREFIX/bin is not on PATH (a path
	# with spaces or quotes would need desktop-entry quoting: fall back to the bare name there).
	exec_path=$prefix/bin/$bin_name
	if [[ ! $exec_path =~ ^[A-Za-z0-9/._+-]+$ ]]; then
		echo "warning: $exec_path needs quoting in a .desktop file; the entry runs \"$bin_name\" from PATH instead" >&2
		exec_path=$bin_name
	fi
	# Icon is a theme name (file name without .png), found in hicolor/SIZE/apps.
	sed -i -e "s|^Exec=[^ ]*|Exec=$exec_path|" -e "s|^Icon=.*|Icon=$icon_name|" "$desktop_dst"

	if command -v desktop-file-validate >/dev/null 2>&1; then
		desktop-file-validate "$desktop_dst" || die "$desktop_dst does not validate"
	fi
	touch "$prefix/share/icons/hicolor" # desktops re-read icon directories whose mtime changed

	echo "installed:"
	printf '  %s\n' "$prefix/bin/$bin_name" "$desktop_dst" "$icon_dst"
	case ":$PATH:" in
	*":$prefix/bin:"*) ;;
	*) echo "note: $prefix/bin is not on PATH: the menu entry works, but to start $bin_name from a shell add it to PATH" ;;
	esac
}

# uninstall_package removes the files install_package puts under PREFIX; the app's data
# (~/.config/fyne/$app_id) stays.
uninstall_package() {
	local prefix=$1 f removed=0
	for f in "$prefix/bin/$exe" "$prefix/share/applications/$app_id.desktop" \
		"$prefix"/share/icons/hicolor/*/apps/"$app_id".png; do
		if [ -e "$f" ]; then
			rm -f "$f"
			echo "removed $f"
			removed=1
		fi
	done
	((removed)) || echo "nothing of $name installed under $prefix"
}

case "${1:-}" in
"") build_package linux ;;
--os)
	[ $# -eq 2 ] || usage
	build_package "$2"
	;;
--install | --uninstall)
	[ $# -le 2 ] || usage
	prefix=$(realpath -m "${2:-$HOME/.local}")
	if [ "$1" = --install ]; then install_package "$prefix"; else uninstall_package "$prefix"; fi
	;;
*) usage ;;
esac
