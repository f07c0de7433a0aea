#!/usr/bin/env bash
# Runs Qiantang's whole test suite. On a fresh Debian machine it first installs
# what the tests need (a C compiler for bundled SQLite, Chromium for the
# browser tests, Node.js/npm for the browser test driver, epubcheck, and
# PostgreSQL for the store conformance suite).
# Usage: scripts/test.sh            (from anywhere; CARGO_TARGET_DIR is honoured)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s ==\n' "$*"; }

# --- system packages ---------------------------------------------------------
need=()
command -v cc >/dev/null 2>&1 || need+=(build-essential)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
# The deposit tests run a real RFC 3161 TSA (`openssl ts -reply`) and verify tokens with `openssl ts -verify`.
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
command -v epubcheck >/dev/null 2>&1 || need+=(epubcheck)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if ((${#need[@]})); then
  say "installing Debian packages: ${need[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo not found: install Rust (https://rustup.rs) first" >&2
  exit 1
fi
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt || true

# --- Rust --------------------------------------------------------------------
say "rustfmt"
cargo fmt --all -- --check
say "clippy (-D warnings)"
cargo clippy --workspace --all-targets --locked -- -D warnings
# --- PostgreSQL (second store backend) ----------------------------------------
# The store conformance suite runs every test on SQLite and, when
# QIANTANG_TEST_DATABASE_URL is set, on PostgreSQL too (under CI it fails
# without it). Unless the caller provides a server, start a throwaway cluster
# for this run (installing Debian's postgresql if needed) and stop it at exit.
pg_bindir() {
  local d best=""
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/psql" ] && best="$d"
  done
  printf '%s' "$best"
}
if [ -z "${QIANTANG_TEST_DATABASE_URL:-}" ]; then
  pgbin="$(pg_bindir)"
  if [ -z "$pgbin" ]; then
    say "installing Debian package: postgresql"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql
    pgbin="$(pg_bindir)"
    [ -n "$pgbin" ] || { echo "postgresql installed but no initdb/pg_ctl under /usr/lib/postgresql/*/bin" >&2; exit 1; }
  fi
  # initdb refuses to run as root: as root, the cluster belongs to `postgres`.
  as_pg() {
    if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
  }
  pg_root="$(mktemp -d /tmp/qt-pg.XXXXXX)"
  [ "$(id -u)" = 0 ] && chown postgres: "$pg_root"
  pg_stop() {
    as_pg "$pgbin/pg_ctl" -D "$pg_root/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$pg_root"
  }
  trap pg_stop EXIT
  trap 'exit 130' INT TERM
  pg_port=54329
  while (exec 3<>"/dev/tcp/127.0.0.1/$pg_port") 2>/dev/null; do
    pg_port=$((pg_port + 1))
    [ "$pg_port" -lt 54400 ] || { echo "no free port in 54329-54399 for PostgreSQL" >&2; exit 1; }
  done
  say "starting a throwaway PostgreSQL cluster ($("$pgbin/postgres" --version)) on 127.0.0.1:$pg_port"
  as_pg "$pgbin/initdb" -D "$pg_root/data" -U postgres -E UTF8 --no-locale \
    --auth-local=trust --auth-host=scram-sha-256 >"$pg_root/initdb.log" 2>&1 \
    || { cat "$pg_root/initdb.log" >&2; exit 1; }
  as_pg "$pgbin/pg_ctl" -D "$pg_root/data" -l "$pg_root/server.log" -w -t 60 start \
    -o "-k $pg_root -p $pg_port -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" >/dev/null \
    || { cat "$pg_root/server.log" >&2; exit 1; }
  pg_pass="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  as_pg "$pgbin/psql" -h "$pg_root" -p "$pg_port" -U postgres -d postgres -q -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE qiantang_test LOGIN PASSWORD '$pg_pass'" \
    -c "CREATE DATABASE qiantang_test OWNER qiantang_test" >/dev/null
  export QIANTANG_TEST_DATABASE_URL="postgres://qiantang_test:$pg_pass@127.0.0.1:$pg_port/qiantang_test"
  echo "QIANTANG_TEST_DATABASE_URL=postgres://qiantang_test:***@127.0.0.1:$pg_port/qiantang_test"
fi

say "Rust tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
else
  cargo test --workspace --locked --no-fail-fast
fi

# --- browser (headless Chromium) ---------------------------------------------
say "browser tests (headless Chromium)"
cargo build -p qiantang --locked
bin="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug/qiantang"
(
  cd tests/browser
  npm ci --no-audit --no-fund --loglevel=error
  QIANTANG_BIN="$bin" QIANTANG_CORPUS="$(cd ../../.. && pwd)/shared/corpus" node --test --test-reporter=spec
)
