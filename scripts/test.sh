#!/usr/bin/env bash
# The test command: makes sure PostgreSQL and Chromium are there (installing them
# from Debian's packages when they are not), then runs go vet and the whole test
# suite with the race detector. The Postgres and browser tests never skip, so
# this fails rather than pass without them.
#
#   bash scripts/test.sh            # everything
#   LOCKSTEP_TEST_PG_ADMIN_DSN=...  # use this PostgreSQL (its user must create databases)
#   LOCKSTEP_CHROMIUM=/path         # use this Chromium instead of /usr/bin/chromium
#   LOCKSTEP_SCREENSHOTS=/dir       # keep the browser tests' screenshots
#
# Extra arguments go to go test (e.g. -run TestBrowser ./e2e/), replacing ./...
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'test.sh: %s\n' "$*" >&2; }
die() {
	say "ERROR: $*"
	exit 1
}

# Go: the README asks for Go 1.26; the official tarball lives in /usr/local/go.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	export PATH="/usr/local/go/bin:$PATH"
fi
command -v go >/dev/null 2>&1 || die "Go is not installed (https://go.dev/dl/, Go 1.26 or newer)"

# --- Debian packages ---------------------------------------------------------

as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo -n "$@"
	else
		return 1
	fi
}

apt_log="${TMPDIR:-/tmp}/lockstep-test-apt.log"
apt_updated=""
apt_install() {
	command -v apt-get >/dev/null 2>&1 || {
		say "no apt-get here to install $*"
		return 1
	}
	say "installing $* with apt-get (log: $apt_log)"
	if [ -z "$apt_updated" ]; then
		as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update \
			</dev/null >>"$apt_log" 2>&1 || {
			tail -n 20 "$apt_log" >&2
			say "apt-get update failed (not root and no passwordless sudo?)"
			return 1
		}
		apt_updated=1
	fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q "$@" \
		</dev/null >>"$apt_log" 2>&1 || {
		tail -n 20 "$apt_log" >&2
		say "apt-get install $* failed"
		return 1
	}
}

# --- PostgreSQL --------------------------------------------------------------

default_dsn="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

# pg_ok DSN: the server answers and lets this user in without a password.
pg_ok() {
	command -v psql >/dev/null 2>&1 || return 1
	PGCONNECT_TIMEOUT=5 psql -w -X -At -c 'select 1' "$1" </dev/null >/dev/null 2>&1
}

pg_wait() { # pg_wait DSN SECONDS
	local i
	for ((i = 0; i < $2; i++)); do
		pg_ok "$1" && return 0
		sleep 1
	done
	return 1
}

pg_bindir() {
	local d
	d=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && printf '%s\n' "$d"
}

start_existing_clusters() {
	command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ] || return 1
	local dir ver started=""
	for dir in /etc/postgresql/*/main; do
		[ -d "$dir" ] || continue
		ver=${dir#/etc/postgresql/}
		ver=${ver%/main}
		say "starting PostgreSQL cluster $ver/main"
		as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start >/dev/null 2>&1 || true
		started=1
	done
	[ -n "$started" ]
}

# A throwaway cluster of our own: trust auth on 127.0.0.1, a free port, gone at exit.
own_pgdata=""
own_pg_run=()
# shellcheck disable=SC2317 # called by the EXIT trap
stop_own_cluster() {
	if [ -n "$own_pgdata" ]; then
		"${own_pg_run[@]}" "$pg_bin/pg_ctl" -D "$own_pgdata/data" -m immediate stop >/dev/null 2>&1 || true
		rm -rf "$own_pgdata" 2>/dev/null || true
	fi
}
trap stop_own_cluster EXIT

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_own_cluster() {
	pg_bin=$(pg_bindir) || return 1
	own_pgdata=$(mktemp -d "${TMPDIR:-/tmp}/lockstep-pg.XXXXXX")
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 || return 1
		chown postgres: "$own_pgdata"
		own_pg_run=(runuser -u postgres --)
	else
		own_pg_run=(env)
	fi
	local port=5432
	while ! port_free "$port"; do
		port=$((port == 5432 ? 55432 : port + 1))
		[ "$port" -lt 55532 ] || return 1
	done
	say "starting a throwaway PostgreSQL ($pg_bin) on 127.0.0.1:$port"
	"${own_pg_run[@]}" "$pg_bin/initdb" -D "$own_pgdata/data" -U postgres --auth=trust -E UTF8 \
		--no-instructions >"$own_pgdata/initdb.log" 2>&1 || {
		cat "$own_pgdata/initdb.log" >&2
		return 1
	}
	"${own_pg_run[@]}" "$pg_bin/pg_ctl" -D "$own_pgdata/data" -l "$own_pgdata/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $own_pgdata -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
		start >/dev/null 2>&1 || {
		cat "$own_pgdata/server.log" >&2 || true
		return 1
	}
	own_dsn="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
	pg_wait "$own_dsn" 30 || return 1
	export LOCKSTEP_TEST_PG_ADMIN_DSN="$own_dsn"
}

ensure_postgres() {
	if [ -n "${LOCKSTEP_TEST_PG_ADMIN_DSN:-}" ]; then
		command -v psql >/dev/null 2>&1 || apt_install postgresql-client || true
		pg_ok "$LOCKSTEP_TEST_PG_ADMIN_DSN" ||
			die "cannot connect to LOCKSTEP_TEST_PG_ADMIN_DSN ($LOCKSTEP_TEST_PG_ADMIN_DSN) without a password"
		say "PostgreSQL: $LOCKSTEP_TEST_PG_ADMIN_DSN"
		return
	fi
	if ! command -v psql >/dev/null 2>&1 && ! pg_bindir >/dev/null; then
		# Nothing of PostgreSQL here: the server package brings the client too.
		apt_install postgresql || die "PostgreSQL is needed and could not be installed (apt-get install postgresql)"
	fi
	if pg_ok "$default_dsn"; then
		say "PostgreSQL: 127.0.0.1:5432 (already running)"
		return
	fi
	if start_existing_clusters && pg_wait "$default_dsn" 20; then
		say "PostgreSQL: 127.0.0.1:5432 (started the existing cluster)"
		return
	fi
	if ! pg_bindir >/dev/null; then
		apt_install postgresql || die "PostgreSQL is needed and could not be installed (apt-get install postgresql)"
		if pg_ok "$default_dsn" || { start_existing_clusters && pg_wait "$default_dsn" 20; }; then
			say "PostgreSQL: 127.0.0.1:5432 (installed)"
			return
		fi
	fi
	# A cluster that wants a password, or none could start: run one of our own.
	start_own_cluster ||
		die "no PostgreSQL at 127.0.0.1:5432 that user postgres can use without a password, and a throwaway cluster could not be started; set LOCKSTEP_TEST_PG_ADMIN_DSN"
	say "PostgreSQL: $LOCKSTEP_TEST_PG_ADMIN_DSN (throwaway)"
}

# --- Chromium ----------------------------------------------------------------

ensure_chromium() {
	local exe="${LOCKSTEP_CHROMIUM:-/usr/bin/chromium}"
	if [ ! -x "$exe" ]; then
		[ -n "${LOCKSTEP_CHROMIUM:-}" ] && die "LOCKSTEP_CHROMIUM=$exe is not an executable"
		apt_install chromium || true
		[ -x "$exe" ] || die "the browser tests need Chromium at $exe and it could not be installed (apt-get install chromium)"
	fi
	say "Chromium: $("$exe" --version 2>/dev/null || echo "$exe")"
}

# The process-level tests (e2e/cluster) start throwaway clusters of their own, so
# initdb and pg_ctl must be here even when LOCKSTEP_TEST_PG_ADMIN_DSN points elsewhere.
ensure_pg_binaries() {
	pg_bindir >/dev/null || apt_install postgresql ||
		die "e2e/cluster needs initdb and pg_ctl (apt-get install postgresql)"
	pg_bindir >/dev/null || die "no initdb and pg_ctl in /usr/lib/postgresql/*/bin after installing postgresql"
	say "PostgreSQL binaries: $(pg_bindir)"
}

# --- OpenSSL -----------------------------------------------------------------

# RS256 signatures go through libcrypto.so.3 where it is (internal/rsasign); the
# tests must see that path, not pass on the Go fallback.
ensure_libcrypto() {
	if ! ldconfig -p 2>/dev/null | grep -q 'libcrypto\.so\.3 '; then
		apt_install libssl3 || die "the RS256 tests need libcrypto.so.3 (apt-get install libssl3)"
	fi
	export LOCKSTEP_TEST_REQUIRE_OPENSSL=1
	say "OpenSSL: libcrypto.so.3"
}

ensure_postgres
ensure_pg_binaries
ensure_chromium
ensure_libcrypto

say "go vet ./..."
go vet ./... || die "go vet failed"

if [ "$#" -eq 0 ]; then
	set -- ./...
fi
say "go test -race -count=1 -timeout 20m $*"
status=0
go test -race -count=1 -timeout 20m "$@" || status=$?
exit "$status"
