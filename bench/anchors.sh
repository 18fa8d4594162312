#!/usr/bin/env bash
# Douane beside nginx, haproxy, caddy and the validating Node peers, in one
# run of the shared anchors harness (../shared/bench/anchors.sh), so that the
# figures are ratios measured on the same machine at the same time.
#
#   bash bench/anchors.sh                 # all targets, both workloads
#   TARGETS="direct nginx" bash bench/anchors.sh
#
# Douane is built for the harness's contract (its petstore.yaml, through
# DOUANE_SPECS) into target/bench, and runs with one worker thread like the
# other proxies. Every knob of anchors.sh (ROUNDS, DURATION, CONNS...) passes
# through. The access log is on, as in production.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
harness=${HARNESS:-$root/../shared/bench}

specs=$(mktemp -d)
trap 'rm -rf "$specs"' EXIT
cp "$harness/petstore.yaml" "$specs/petstore.yaml"

export CARGO_TARGET_DIR=$root/target/bench
DOUANE_SPECS=$specs cargo build --release --locked -p douane
bin=$CARGO_TARGET_DIR/release/douane

export TARGETS=${TARGETS:-"direct nginx haproxy caddy express prism"}
export EXTRA_TARGET_NAME=douane
export EXTRA_TARGET_PORT=${EXTRA_TARGET_PORT:-18086}
export EXTRA_TARGET_CMD="env DOUANE_LISTEN=\"\$LISTEN_ADDR\" DOUANE_API_PETSTORE_UPSTREAM=\"\$UPSTREAM_URL\" DOUANE_WORKERS=\"\$WORKERS\" RUST_LOG=info $bin"
exec bash "$harness/anchors.sh"
