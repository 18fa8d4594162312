#!/usr/bin/env bash
# Douane's compiled router on GitHub's REST contract (@octokit/openapi@23.0.2,
# 811 paths, 1,223 operations): code generation time and size, routing
# correctness against a reference matcher and matchit, routing speed against
# matchit, and the release build time of a gateway built from the contract.
#
#   bench/router/run.sh            # everything
#   SKIP_GATEWAY=1 bench/router/run.sh   # without the gateway release build
#
# Environment:
#   DOUANE_GITHUB_SPEC   the contract (default: the corpus cache's copy, else
#                        installed with npm into $CARGO_TARGET_DIR/npm)
#   CARGO_TARGET_DIR     default /work/router-target (keeps off the
#                        workspace's target/ lock)
#   JOBS                 cargo -j (default 2)
#   GATEWAY_TIMEOUT      seconds allowed for the gateway build (default 900)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/router-target}"
jobs="${JOBS:-2}"
package="@octokit/openapi@23.0.2"
start=$SECONDS
step() { printf '\n=== %s (%ss)\n' "$*" "$((SECONDS - start))"; }
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }

# --- the contract ------------------------------------------------------------
step "contract: $package"
default_spec="$HOME/.cache/douane-corpus/npm/node_modules/@octokit/openapi/generated/api.github.com.json"
if [[ -z "${DOUANE_GITHUB_SPEC:-}" ]]; then
    if [[ -f "$default_spec" ]]; then
        DOUANE_GITHUB_SPEC="$default_spec"
    else
        # Our own prefix: installing into the corpus cache would prune the
        # packages tests/corpus/check.sh keeps there.
        npm_dir="$CARGO_TARGET_DIR/npm"
        DOUANE_GITHUB_SPEC="$npm_dir/node_modules/@octokit/openapi/generated/api.github.com.json"
        if [[ ! -f "$DOUANE_GITHUB_SPEC" ]]; then
            mkdir -p "$npm_dir"
            npm install --prefix "$npm_dir" --no-save --no-package-lock --no-audit --no-fund \
                --ignore-scripts --loglevel=error "$package"
        fi
        export DOUANE_GITHUB_SPEC
    fi
fi
# Exported only when not the default that build.rs reads anyway: a change of
# the variable reruns build.rs and rebuilds the crate.
[[ "$DOUANE_GITHUB_SPEC" == "$default_spec" ]] || export DOUANE_GITHUB_SPEC
echo "$DOUANE_GITHUB_SPEC ($(wc -c <"$DOUANE_GITHUB_SPEC") bytes)"
# A specs directory holding only the contract, named github.json.
specs="$CARGO_TARGET_DIR/github-specs"
mkdir -p "$specs"
cp "$DOUANE_GITHUB_SPEC" "$specs/github.json"

# --- code generation -----------------------------------------------------------
step "douanec: cargo build --release -p douane-compiler --bin douanec"
(cd "$root" && cargo build --release -j "$jobs" -q -p douane-compiler --bin douanec)
douanec="$CARGO_TARGET_DIR/release/douanec"
"$douanec" check "$specs"

step "generation: douanec generate (3 runs)"
gen_times=()
for run in 1 2 3; do
    t0=$(now)
    "$douanec" generate "$specs" >"$CARGO_TARGET_DIR/github.rs"
    t1=$(now)
    gen_times+=("$(elapsed "$t0" "$t1")")
    echo "run $run: ${gen_times[-1]} s"
done
gen_best=$(printf '%s\n' "${gen_times[@]}" | sort -n | head -1)
gen_bytes=$(wc -c <"$CARGO_TARGET_DIR/github.rs")
gen_lines=$(wc -l <"$CARGO_TARGET_DIR/github.rs")
echo "generated: $gen_bytes bytes, $gen_lines lines ($CARGO_TARGET_DIR/github.rs)"

# --- routing correctness ---------------------------------------------------------
step "test: cargo test (bench/router)"
(cd "$here" && cargo test -j "$jobs" -q -- --nocapture 2>&1 | grep -v '^warning\|^ *|\|^ *-->\|^[0-9 ]*|\|= note\|^$' \
    | tee "$CARGO_TARGET_DIR/router-test.log")
test_line=$(grep '^checked ' "$CARGO_TARGET_DIR/router-test.log" || true)
perturbed_line=$(grep '^perturbed paths' "$CARGO_TARGET_DIR/router-test.log" || true)

# --- routing speed -----------------------------------------------------------------
step "bench: cargo bench (bench/router) -- --warm-up-time 1 --measurement-time 3"
(cd "$here" && cargo bench -j "$jobs" -q --bench route -- --warm-up-time 1 --measurement-time 3 2>&1 \
    | grep -v '^warning\|^ *|\|^ *-->\|^[0-9 ]*|\|= note' | tee "$CARGO_TARGET_DIR/router-bench.log")

# --- gateway release build -----------------------------------------------------------
gateway="skipped (SKIP_GATEWAY=1)"
if [[ -z "${SKIP_GATEWAY:-}" ]]; then
    step "gateway: dependencies (cargo build --release -p douane, demo specs; not timed as the GitHub build)"
    t0=$(now)
    (cd "$root" && env -u DOUANE_SPECS cargo build --release -j "$jobs" -q -p douane)
    t1=$(now)
    demo_build=$(elapsed "$t0" "$t1")
    echo "demo gateway (with dependencies, when not yet built): $demo_build s"

    step "gateway: DOUANE_SPECS=$specs cargo build --release -p douane (timeout ${GATEWAY_TIMEOUT:-900} s)"
    t0=$(now)
    set +e
    (cd "$root" && DOUANE_SPECS="$specs" timeout "${GATEWAY_TIMEOUT:-900}" \
        cargo build --release -j "$jobs" -p douane --timings 2>&1 | grep -v '^warning\|^ *|\|^ *-->\|^[0-9 ]*|\|= note')
    status=${PIPESTATUS[0]}
    set -e
    t1=$(now)
    gateway_time=$(elapsed "$t0" "$t1")
    if [[ $status -eq 0 ]]; then
        size=$(wc -c <"$CARGO_TARGET_DIR/release/douane")
        gateway="$gateway_time s (binary $size bytes)"
        # Per-unit times from cargo's timings report: the build script run
        # (the compiler, built with the release profile's build-override)
        # and the generated crate.
        report=$(ls -t "$CARGO_TARGET_DIR"/cargo-timings/cargo-timing-*.html 2>/dev/null | head -1 || true)
        if [[ -n "$report" ]]; then
            python3 - "$report" <<'EOF'
import json, re, sys
html = open(sys.argv[1]).read()
m = re.search(r"const UNIT_DATA = (\[.*?\]);\n", html, re.S)
if m:
    for u in json.loads(m.group(1)):
        if u["name"] in ("douane", "douane-compiler"):
            print(f"  unit {u['name']} {u.get('target','').strip()} {u.get('mode','')}: {u['duration']:.1f} s")
EOF
        fi
    elif [[ $status -eq 124 ]]; then
        gateway="stopped after $gateway_time s (over ${GATEWAY_TIMEOUT:-900} s)"
    else
        gateway="failed (exit $status) after $gateway_time s"
    fi
    echo "gateway build: $gateway"
fi

# --- summary -----------------------------------------------------------------
step "summary"
echo "contract:        $DOUANE_GITHUB_SPEC"
echo "generation:      best ${gen_best} s of ${gen_times[*]} s (douanec generate, release; target < 2 s)"
echo "generated code:  $gen_bytes bytes, $gen_lines lines"
echo "routing test:    $test_line"
echo "                 $perturbed_line"
grep -E '^(matchit:|mismatches:)' "$CARGO_TARGET_DIR/router-test.log" | sed 's/^/                 /' || true
sed -n '/^Summary/,$p' "$CARGO_TARGET_DIR/router-bench.log"
echo "gateway release build (GitHub contract): $gateway"
