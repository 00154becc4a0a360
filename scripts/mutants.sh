#!/usr/bin/env bash
# Mutation testing (issue 13): runs gremlins (github.com/go-gremlins/gremlins) over
# the security-relevant packages, one package at a time, and prints for each the
# surviving (LIVED) mutants and the kill rate (efficacy = killed / (killed + lived)).
# Slow (on 2 vCPUs about 10 minutes with two workers, 20 with one), so it is not
# part of scripts/test.sh or CI. The README's "Mutation testing" explains the setup
# and lists the mutants judged equivalent.
#
#   bash scripts/mutants.sh                       # the default packages below
#   bash scripts/mutants.sh flows/factor idp      # only these (directories, no ./...)
#   bash scripts/mutants.sh storage/postgres      # the PostgreSQL store (slow: ~350 mutants)
#   MUTANTS_WORKERS=2 bash scripts/mutants.sh     # gremlins workers (default 1)
#   MUTANTS_OUT=/dir bash scripts/mutants.sh      # keep the JSON reports there
#   MUTANTS_TIMEOUT=60 bash scripts/mutants.sh    # gremlins --timeout-coefficient (default 60)
#   GREMLINS=/path/to/gremlins                    # default: gremlins on PATH, then ~/go/bin
#
# Each mutant is tested by its own package's tests only (not e2e/): gremlins cannot
# add a chosen test set (-i runs the whole suite, minutes per mutant). A mutant no test
# of its package reaches is NOT COVERED and is not counted in the kill rate.
# Install: go install github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'mutants.sh: %s\n' "$*" >&2; }
die() {
	say "ERROR: $*"
	exit 1
}

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	export PATH="/usr/local/go/bin:$PATH"
fi
gremlins=${GREMLINS:-$(command -v gremlins || echo "$HOME/go/bin/gremlins")}
[ -x "$gremlins" ] || die "gremlins not found: go install github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0"
command -v jq >/dev/null 2>&1 || die "jq is needed to read gremlins' reports (apt-get install jq)"

# storage/memory runs the whole storage conformance suite (the atomic operations:
# codes spent once, refresh rotation, throttles, the disabled user's lock).
# storage/postgres runs the same suite and is left out by default: ~350 mutants,
# each a PostgreSQL test run (hours on 2 vCPUs); name it to run it.
if [ "$#" -eq 0 ]; then
	set -- flows flows/factor flows/password idp storage/memory orgs admin
fi

workers=${MUTANTS_WORKERS:-1}
timeout=${MUTANTS_TIMEOUT:-60}
out=${MUTANTS_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/lockstep-mutants.XXXXXX")}
mkdir -p "$out"

summary=()
for dir in "$@"; do
	dir=${dir#./}
	dir=${dir%/}
	[ -d "$dir" ] || die "no directory $dir"
	report="$out/${dir//\//_}.json"
	say "$dir: gremlins unleash --workers $workers (report: $report)"
	# -E '/' leaves out the files of sub-packages (paths are relative to $dir):
	# each package is mutated once, against its own tests.
	# A mutant's timeout is the coverage run's time times the coefficient. That
	# run is often a cached one (tens of milliseconds), while each mutant is
	# compiled and linked first (seconds on a busy machine): hence the large
	# default. A mutant that loops forever costs this long, and shows as TIMED OUT.
	"$gremlins" unleash --silent --workers "$workers" --timeout-coefficient "$timeout" \
		-E '/' -o "$report" "$dir" || die "gremlins failed on $dir"
	printf '\n== %s: surviving mutants\n' "$dir"
	jq -r --arg d "$dir" '.files[] | .file_name as $f | .mutations[]
		| select(.status == "LIVED") | "  \($d)/\($f):\(.line):\(.column) \(.type)"' "$report" | sort -V
	summary+=("$(jq -r --arg d "$dir" '"\($d)\t\(.mutants_killed)\t\(.mutants_lived)\t\([.files[].mutations[] | select(.status == "TIMED OUT")] | length)\t\(.mutants_not_covered)\t\(.test_efficacy | floor)%\t\(.mutations_coverage | floor)%"' "$report")")
done

printf '\n== kill rate (efficacy = killed / (killed + lived); coverage = mutants reached by the package tests)\n'
{
	printf 'package\tkilled\tlived\ttimed out\tnot covered\tefficacy\tcoverage\n'
	printf '%s\n' "${summary[@]}"
} | column -t -s $'\t'
say "JSON reports in $out"
