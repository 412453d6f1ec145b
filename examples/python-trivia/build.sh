#!/usr/bin/env bash
# Build the trivia cog (Python) into a WebAssembly component.
#
#   ./build.sh [OUT.wasm]        (default: ./trivia.wasm)
#
# Needs componentize-py from PyPI: `python3 -m pip install componentize-py==0.25.1`.
# It generates the bindings from the host's WIT (../../wit, world `cog`) on the fly,
# bundles the Python interpreter and the standard library, and pre-initialises the app:
# the result is ~18 MB and takes ~30 s to build.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/trivia.wasm}"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
wit="${ASTRA_WIT:-$here/../../wit}"

if ! command -v componentize-py >/dev/null 2>&1; then
    echo "error: componentize-py is not installed; run: python3 -m pip install componentize-py==0.25.1" >&2
    exit 127
fi
mkdir -p "$(dirname "$out")"
cd "$here"
componentize-py -d "$wit" -w cog componentize app -o "$out.tmp"
mv "$out.tmp" "$out"
echo "built $out ($(du -h "$out" | cut -f1))"
