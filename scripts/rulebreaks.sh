#!/usr/bin/env bash
# Breaks the security rules one at a time and checks that the tests notice.
#
# Each scripts/rulebreaks/NN-name.patch removes one rule from the production code
# and names, in its header, the rule ("# rule: …") and the tests that must fail
# without it ("# test: PACKAGE RUN-REGEX", one line each). For each patch this
# script applies it to a fresh copy of the committed tree (a temporary git
# worktree; the real tree is never touched), runs the named tests, and prints
#   KILLED    some named test failed: the rule is proven
#   SURVIVED  every named test passed without the rule: a missing test
#   ERROR     the patch no longer applies, or the tests did not build
# It exits non-zero unless every patch is KILLED. Not part of scripts/test.sh or
# CI: each patch rebuilds and runs its tests (about 15 minutes for all).
#
#   bash scripts/rulebreaks.sh                 # every patch
#   bash scripts/rulebreaks.sh 03 totp-skew    # patches whose names contain these
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
if [ -n "$(git status --porcelain -- '*.go' scripts/rulebreaks)" ]; then
	echo "rulebreaks.sh: uncommitted changes to Go files or patches; the run uses the last commit" >&2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/lockstep-rulebreaks.XXXXXX")
cleanup() {
	git -C "$repo" worktree remove --force "$work/tree" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
git worktree add --detach "$work/tree" HEAD >/dev/null 2>&1

patches=()
for p in scripts/rulebreaks/*.patch; do
	name=$(basename "$p" .patch)
	if [ $# -gt 0 ]; then
		match=""
		for want in "$@"; do
			[[ $name == *"$want"* ]] && match=1
		done
		[ -n "$match" ] || continue
	fi
	patches+=("$p")
done
[ ${#patches[@]} -gt 0 ] || { echo "rulebreaks.sh: no patch matches $*" >&2; exit 1; }

declare -A verdict
failed=0
for p in "${patches[@]}"; do
	name=$(basename "$p" .patch)
	rule=$(sed -n 's/^# rule: //p' "$p")
	(cd "$work/tree" && git checkout -q -- . && git clean -qfd)
	if ! (cd "$work/tree" && git apply "$repo/$p") 2>"$work/apply.log"; then
		verdict[$name]=ERROR
		printf '%-8s %s: the patch no longer applies\n' ERROR "$name"
		sed 's/^/         /' "$work/apply.log"
		failed=1
		continue
	fi
	result=SURVIVED
	while read -r pkg run; do
		[ -n "$pkg" ] || continue
		if (cd "$work/tree" && go test -count=1 -run "$run" "$pkg") >"$work/test.log" 2>&1; then
			continue
		fi
		if grep -qE '^--- FAIL|^FAIL' "$work/test.log" && ! grep -q '\[build failed\]\|\[setup failed\]' "$work/test.log"; then
			result=KILLED
		else
			result=ERROR
			sed -n '1,15p' "$work/test.log" | sed 's/^/         /'
		fi
		break
	done < <(sed -n 's/^# test: //p' "$p")
	verdict[$name]=$result
	printf '%-8s %s: %s\n' "$result" "$name" "$rule"
	[ "$result" = KILLED ] || failed=1
done

echo
killed=0
for v in "${verdict[@]}"; do
	[ "$v" = KILLED ] && killed=$((killed + 1))
done
echo "rulebreaks.sh: $killed of ${#verdict[@]} rule breaks killed"
exit $failed
