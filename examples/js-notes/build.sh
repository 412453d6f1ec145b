#!/usr/bin/env bash
# Build the notes cog (JavaScript) into a WebAssembly component.
#
#   ./build.sh [OUT.wasm]        (default: ./notes.wasm)
#
# Needs Node.js 20+ and the pinned componentize-js from npm: `npm ci` in this folder
# (this script runs it when node_modules is missing). componentize-js embeds the
# SpiderMonkey engine and pre-initialises the app: ~12 MB, ~20 s to build.
# `-d http fetch-event` leaves out wasi:http, which Astra does not offer; never use
# `--aot` (it downloads a binary).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/notes.wasm}"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
wit="${ASTRA_WIT:-$here/../../wit}"

if ! command -v npx >/dev/null 2>&1; then
    echo "error: Node.js and npm are not installed (Node.js 20+ is needed)" >&2
    exit 127
fi
cd "$here"
if [ ! -x node_modules/.bin/componentize-js ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
mkdir -p "$(dirname "$out")"
npx --no-install componentize-js app.js --wit "$wit" --world-name cog \
    -d http fetch-event -o "$out.tmp"
mv "$out.tmp" "$out"
echo "built $out ($(du -h "$out" | cut -f1))"
