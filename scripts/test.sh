#!/usr/bin/env bash
# Runs Qiantang's whole test suite. On a fresh Debian machine it first installs
# what the tests need (a C compiler for bundled SQLite, Chromium for the
# browser tests, Node.js/npm for the browser test driver, epubcheck).
# Usage: scripts/test.sh            (from anywhere; CARGO_TARGET_DIR is honoured)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s ==\n' "$*"; }

# --- system packages ---------------------------------------------------------
need=()
command -v cc >/dev/null 2>&1 || need+=(build-essential)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
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
