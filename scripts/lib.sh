# shellcheck shell=bash
# Shared by the scripts in this directory (sourced, not run).

# The Go release go.mod asks for; older toolchains would try to download a newer one and fail.
DETRANS_GO_MAJOR=1
DETRANS_GO_MINOR=26

die() {
	echo "error: $*" >&2
	exit 1
}

# use_go finds a Go >= 1.26 (on PATH or in the usual install dirs), puts it first on PATH, or
# exits with a message that says what to do.
use_go() {
	if ! command -v go >/dev/null 2>&1; then
		local d
		for d in /usr/local/go/bin "$HOME/go/bin" "$HOME/sdk/go/bin" /usr/lib/go/bin; do
			if [ -x "$d/go" ]; then
				export PATH="$d:$PATH"
				break
			fi
		done
	fi
	command -v go >/dev/null 2>&1 ||
		die "Go ${DETRANS_GO_MAJOR}.${DETRANS_GO_MINOR} or newer is needed but was not found. Install it from https://go.dev/dl/ (e.g. into /usr/local/go) and put its bin directory on PATH."
	local v major minor
	v=$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null) || die "$(command -v go) does not run"
	if [[ ! $v =~ ^go([0-9]+)\.([0-9]+) ]]; then
		echo "warning: cannot tell the version of $(command -v go) ($v); going on" >&2
		return 0
	fi
	major=${BASH_REMATCH[1]}
	minor=${BASH_REMATCH[2]}
	if ((major < DETRANS_GO_MAJOR || (major == DETRANS_GO_MAJOR && minor < DETRANS_GO_MINOR))); then
		die "found $v at $(command -v go), but DeTrans needs Go ${DETRANS_GO_MAJOR}.${DETRANS_GO_MINOR} or newer. Install it from https://go.dev/dl/ and put it first on PATH."
	fi
}
