#!/usr/bin/env bash
# Sets up what is needed and runs the whole test suite: go vet, every package's tests, the
# packages with goroutines under the race detector, and a short fuzz run of every Fuzz target.
# Exits non-zero if anything failed; the last line is a summary.
#
# Environment: FUZZTIME (per fuzz target, default 40000x: an execution count, because a duration
# budget trips Go 1.26's fuzz coordinator race, go.dev/issue/75804, which fails a target with a
# bare "context deadline exceeded" at the deadline), TEST_TIMEOUT (per go test run,
# default 15m), DETRANS_RACE_BINARY (1 = integration tests run race-built peer processes).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
source scripts/lib.sh
./scripts/setup.sh --test || exit 1
use_go

FUZZTIME=${FUZZTIME:-40000x}
TEST_TIMEOUT=${TEST_TIMEOUT:-15m}
# Packages that start goroutines: after the plain run of everything, their tests run again
# under -race with -short (seeded scenario tests then run a few seeds, not hundreds).
RACE_DIRS=(node sim cmd integration app ui)

passed=()
failed=()
t0=$SECONDS

# step NAME CMD...: runs CMD and records whether it passed.
step() {
	local name=$1
	shift
	local s=$SECONDS
	echo "=== $name: $*"
	if "$@"; then
		passed+=("$name")
		echo "=== $name: ok ($((SECONDS - s))s)"
	else
		failed+=("$name")
		echo "=== $name: FAILED ($((SECONDS - s))s)"
	fi
}

step vet go vet ./...

race_pkgs=()
for d in "${RACE_DIRS[@]}"; do
	if [ -d "$d" ]; then
		while read -r p; do race_pkgs+=("$p"); done < <(go list "./$d/..." 2>/dev/null)
	fi
done
plain_pkgs=()
while read -r p; do plain_pkgs+=("$p"); done < <(go list ./...)

# -count=1: results must come from this run (the integration tests run a binary that go test's
# cache does not know about).
if ((${#plain_pkgs[@]} > 0)); then
	step test go test -count=1 -timeout "$TEST_TIMEOUT" "${plain_pkgs[@]}"
fi
if ((${#race_pkgs[@]} > 0)); then
	step race go test -race -short -count=1 -timeout "$TEST_TIMEOUT" "${race_pkgs[@]}"
fi

# Fuzz targets: packages whose tests declare func FuzzXxx, then one go test -list for the names
# (it prints each package's names followed by "ok <package>").
mapfile -t fuzz_dirs < <(grep -rl --include='*_test.go' -E '^func Fuzz[A-Z0-9_]' . 2>/dev/null | xargs -r -n1 dirname | sort -u)
fuzz_targets=()
if ((${#fuzz_dirs[@]} > 0)); then
	names=()
	while read -r first second _; do
		case $first in
		Fuzz*) names+=("$first") ;;
		ok)
			for f in "${names[@]}"; do fuzz_targets+=("$second $f"); done
			names=()
			;;
		esac
	done < <(go test -list '^Fuzz' "${fuzz_dirs[@]}" 2>&1)
	if ((${#fuzz_targets[@]} == 0)); then
		failed+=("fuzz-list")
		echo "=== fuzz-list: FAILED: no fuzz target listed in ${fuzz_dirs[*]}"
	fi
fi
for t in "${fuzz_targets[@]}"; do
	read -r pkg f <<<"$t"
	step "fuzz ${pkg#github.com/detrans/detrans/} $f" go test -run '^$' -fuzz "^${f}\$" -fuzztime "$FUZZTIME" "$pkg"
done

echo
echo "test.sh: $((SECONDS - t0))s; passed: ${passed[*]:-none}"
if ((${#failed[@]} > 0)); then
	echo "test.sh: FAILED: ${failed[*]}"
fi
echo "test.sh: ${#passed[@]} passed, ${#failed[@]} failed"
((${#failed[@]} == 0))
