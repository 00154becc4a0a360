#!/usr/bin/env bash
# Benchmarks Lockstep against PostgreSQL on this machine (SPEC §9).
#
# It creates a throwaway database on the local PostgreSQL, builds lockstep and
# lockstep-bench, migrates, creates a client, a user and the users of the mfa scenario,
# starts `lockstep serve`, runs `lockstep-bench` with every scenario plus the argon2id
# baseline, and prints the machine it ran on. The server is stopped and the database
# dropped on exit, whatever happens.
#
# The mfa scenario signs in with a password and an authenticator-app code. A code
# is accepted once per user and 30 s step, so it needs many users: N users allow N
# sign-ins per step (--mfa-users N). The scenarios take turns in --rounds windows
# (3 by default), each of warm-up + duration/rounds; the first mfa window starts at a
# step boundary. With every scenario at the defaults a round lasts about 26 s, so a
# 30 s step can see parts of two mfa windows, about 9 s: at R sign-ins/s that needs
# N >= 9 R (--duration 60s --rounds 1 would need N >= 30 R). The default, 1000, covers
# about 110 sign-ins/s; the report says when workers had to wait for a user. They are
# bench-mfa-1@example.com … bench-mfa-N@example.com, created fresh here (about 35 s
# per 1000 on 2 CPUs), and the bench enrols each in an authenticator app through the
# pages before measuring (about as long).
#
# Needs Go and a PostgreSQL reachable as PGUSER (default postgres) on PGHOST:PGPORT
# (default 127.0.0.1:5432) without a password (trust), or with PGPASSWORD set.
#
# Usage: scripts/bench.sh [lockstep-bench flags...]
#   e.g. scripts/bench.sh --scenarios login,hash --duration 21s
#        scripts/bench.sh --scenarios mfa,hash --mfa-users 2000
#        scripts/bench.sh --soak 10m          (the soak mix at 80 % of its peak; see lockstep-bench --help)
# Environment: PGHOST PGPORT PGUSER, BENCH_PORT (default: the first free from 18080),
#   BENCH_DSN_PARAMS (extra DSN query parameters, e.g. pool_max_conns=8),
#   BENCH_ID_TOKEN_ALG (RS256, the default, or ES256 for the bench client's ID tokens),
#   BENCH_SEED_USERS and BENCH_SEED_TOKENS (when set, `lockstep-bench seed` writes that
#   many users and token rows after migrating, for the growth comparison).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER

die() { echo "bench.sh: $*" >&2; exit 1; }

MFA_USERS_DEFAULT=1000
scenarios="cc,refresh,introspect,login,mfa,hash"
mfa_users=$MFA_USERS_DEFAULT
soak=""
# The flags this script acts on too (they still reach lockstep-bench).
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
	case ${args[i]} in
	--mfa-users | -mfa-users) mfa_users=${args[i + 1]:-} ;;
	--mfa-users=* | -mfa-users=*) mfa_users=${args[i]#*=} ;;
	--scenarios | -scenarios) scenarios=${args[i + 1]:-} ;;
	--scenarios=* | -scenarios=*) scenarios=${args[i]#*=} ;;
	--soak | -soak | --soak=* | -soak=*) soak=1 ;;
	esac
done
if [ -n "$soak" ]; then
	scenarios="cc,refresh,introspect,login,mfa" # what the soak's mix needs
fi
[[ $mfa_users =~ ^[1-9][0-9]*$ ]] || die "--mfa-users must be a positive number"
# Only create the mfa users when the mfa scenario runs.
case ",${scenarios// /}," in
*,mfa,* | *,all,*) ;;
*) mfa_users=0 ;;
esac
command -v go >/dev/null || die "go is not on PATH"
command -v psql >/dev/null || die "psql is not on PATH"

randstr() { # $1 characters of [A-Za-z0-9]
	local s=""
	while [ ${#s} -lt "$1" ]; do
		s+=$(head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
	done
	printf '%s' "${s:0:$1}"
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lockstep-bench.XXXXXX")
db="lockstep_bench_$(date +%s)_$$"
server_pid=""
db_created=""
create_pids=()

cleanup() {
	local rc=$?
	set +e
	for p in "${create_pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
		kill -TERM "$server_pid"
		wait "$server_pid" 2>/dev/null
	fi
	if [ -n "$db_created" ]; then
		psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null ||
			echo "bench.sh: could not drop database $db" >&2
	fi
	if [ $rc -ne 0 ] && [ -s "$tmp/server.log" ]; then
		echo "--- server log (last 40 lines) ---" >&2
		tail -n 40 "$tmp/server.log" >&2
	fi
	rm -rf "$tmp"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Read before this script adds its own load (building, creating users).
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || true)

psql -X -q -d postgres -c "SELECT 1" >/dev/null ||
	die "cannot reach PostgreSQL as $PGUSER at $PGHOST:$PGPORT"

echo "building lockstep and lockstep-bench…" >&2
(cd "$repo" && go build -o "$tmp/lockstep" ./cmd/lockstep && go build -o "$tmp/lockstep-bench" ./cmd/lockstep-bench)
bin="$tmp/lockstep"

psql -X -q -d postgres -c "CREATE DATABASE \"$db\"" >/dev/null
db_created=1

# A free port: nothing answers a TCP connection to it.
port=${BENCH_PORT:-}
if [ -z "$port" ]; then
	for p in $(seq 18080 18180); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			port=$p
			break
		fi
	done
	[ -n "$port" ] || die "no free port in 18080-18180"
fi

dsn="postgres://$PGUSER@$PGHOST:$PGPORT/$db?sslmode=disable"
if [ -n "${BENCH_DSN_PARAMS:-}" ]; then
	dsn+="&$BENCH_DSN_PARAMS"
fi
export LOCKSTEP_DSN="$dsn"
export LOCKSTEP_ISSUER="http://127.0.0.1:$port"
export LOCKSTEP_LISTEN="127.0.0.1:$port"
export LOCKSTEP_SECRET; LOCKSTEP_SECRET=$(randstr 48)
export LOCKSTEP_LOG_LEVEL=warn
unset LOCKSTEP_DEV

client_secret=$(randstr 40)
user_password=$(randstr 24)
redirect_uri="http://127.0.0.1:1/callback"

"$bin" migrate >"$tmp/migrate.log" 2>&1 || { cat "$tmp/migrate.log" >&2; exit 1; }
if [ -n "${BENCH_SEED_USERS:-}${BENCH_SEED_TOKENS:-}" ]; then
	"$tmp/lockstep-bench" seed --dsn "$LOCKSTEP_DSN" --users "${BENCH_SEED_USERS:-100000}" \
		--tokens "${BENCH_SEED_TOKENS:-1000000}" >&2
fi
# Not first-party: the first login of the user shows the consent page, later ones
# find the stored consent (as a returning user's would).
# BENCH_ID_TOKEN_ALG=ES256 registers the client with ES256 ID tokens
# (id_token_signed_response_alg); by default it gets the server's RS256.
"$bin" clients create --name bench --id bench --secret "$client_secret" \
	--redirect-uri "$redirect_uri" \
	--grant-type authorization_code --grant-type refresh_token --grant-type client_credentials \
	--scope openid --scope offline_access ${BENCH_ID_TOKEN_ALG:+--id-token-alg "$BENCH_ID_TOKEN_ALG"} >/dev/null
printf '%s\n' "$user_password" | "$bin" users create --email bench@example.com --password-stdin >/dev/null
# The refresh workers' users: each worker rotates the chain of its own user, as
# concurrent refreshes mostly are (one user refreshing in 16 chains at once makes
# PostgreSQL share-lock that user's row from 16 transactions, a MultiXact each).
refresh_users=16
case ",${scenarios// /}," in
*,refresh,* | *,all,*)
	for i in $(seq 1 "$refresh_users"); do
		printf '%s\n' "$user_password" |
			"$bin" users create --email "bench-refresh-$i@example.com" --password-stdin >/dev/null &
		create_pids+=($!)
	done
	for p in "${create_pids[@]}"; do
		wait "$p" || die "could not create the refresh users"
	done
	create_pids=()
	;;
esac

# The mfa users, with the same password, a few `users create` at a time (each
# hashes the password with argon2id).
if [ "$mfa_users" -gt 0 ]; then
	echo "creating $mfa_users mfa users…" >&2
	jobs_max=$(($(nproc) * 2))
	for i in $(seq 1 "$mfa_users"); do
		if [ ${#create_pids[@]} -ge "$jobs_max" ]; then
			wait "${create_pids[0]}" || die "could not create the mfa users"
			create_pids=("${create_pids[@]:1}")
		fi
		printf '%s\n' "$user_password" |
			"$bin" users create --email "bench-mfa-$i@example.com" --password-stdin >/dev/null &
		create_pids+=($!)
	done
	for p in "${create_pids[@]}"; do
		wait "$p" || die "could not create the mfa users"
	done
	create_pids=()
fi

# A soak sends its wrong passwords and codes with an X-Forwarded-For from
# 198.18.0.0/15, as a proxy in front of the server would: the server trusts the
# bench's address as that proxy, so the failures count against those addresses,
# not against the bench's own right sign-ins.
serve_args=()
if [ -n "$soak" ]; then
	printf 'trusted_proxies: ["127.0.0.1/32"]\n' >"$tmp/soak.yaml"
	serve_args=(--config "$tmp/soak.yaml")
fi
"$bin" serve "${serve_args[@]}" >"$tmp/server.log" 2>&1 &
server_pid=$!

# Wait for /readyz without needing curl.
ready() {
	local line
	exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
	printf 'GET /readyz HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n\r\n' "$port" >&3
	IFS= read -r -t 2 line <&3 || line=""
	exec 3<&- 3>&-
	[[ $line == "HTTP/1."?" 200"* ]]
}
for _ in $(seq 1 100); do
	kill -0 "$server_pid" 2>/dev/null || die "the server exited: $(tail -n 20 "$tmp/server.log")"
	if ready 2>/dev/null; then
		break
	fi
	sleep 0.1
done
ready 2>/dev/null || die "the server did not become ready within 10s"

cpu_model=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo "machine"
echo "  cpus:       $(nproc) ($cpu_model)"
echo "  memory:     $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo 2>/dev/null)"
echo "  kernel:     $(uname -sr)"
echo "  go:         $(go version | cut -d' ' -f3-)"
echo "  postgresql: $(psql -X -At -d postgres -c 'SHOW server_version')" \
	"(synchronous_commit=$(psql -X -At -d postgres -c 'SHOW synchronous_commit'))"
echo "  server:     lockstep serve on $LOCKSTEP_ISSUER, same machine as the load generator"
echo "  client:     confidential, not first-party (consent asked once per user, then remembered), ID tokens ${BENCH_ID_TOKEN_ALG:-RS256}"
if [ "$mfa_users" -gt 0 ]; then
	echo "  mfa:        $mfa_users users with an authenticator app (a code works once per user and 30 s step)"
fi
echo "  load avg:   $load_at_start when this script started, $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null) now, after building and"
echo "              creating users (anything else running competes for the CPUs)"
echo

# CPU time the hypervisor gave to other guests ("steal", /proc/stat) makes every
# figure slower and noisier; the share is printed after the run.
stat_before=$(head -1 /proc/stat 2>/dev/null || true)
"$tmp/lockstep-bench" --issuer "$LOCKSTEP_ISSUER" --client-id bench --client-secret "$client_secret" \
	--redirect-uri "$redirect_uri" --email bench@example.com --password "$user_password" \
	--refresh-email 'bench-refresh-%d@example.com' --refresh-users "$refresh_users" \
	--mfa-email 'bench-mfa-%d@example.com' --mfa-users "$((mfa_users > 0 ? mfa_users : 1))" \
	--server-pid "$server_pid" --postgres-db "$db" \
	--scenarios "$scenarios" "$@"
stat_after=$(head -1 /proc/stat 2>/dev/null || true)
if [ -n "$stat_before" ] && [ -n "$stat_after" ]; then
	awk -v a="$stat_before" -v b="$stat_after" 'BEGIN {
		n = split(a, x, " "); split(b, y, " "); total = 0
		for (i = 2; i <= n; i++) total += y[i] - x[i]
		if (total > 0) printf "\ncpu steal during the run: %.0f%% of all CPU time (other guests on the host; 0%% is a quiet machine)\n", 100 * (y[9] - x[9]) / total
	}'
fi
