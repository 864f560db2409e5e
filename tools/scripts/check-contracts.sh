#!/usr/bin/env bash
# Fails when the committed TypeScript in libs/contracts/src/generated is not what the .proto files generate.
set -euo pipefail
cd "$(dirname "$0")/../../libs/contracts"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s#out: src/generated#out: $tmp#" buf.gen.yaml > "$tmp.gen.yaml"
../../node_modules/.bin/buf generate --template "$tmp.gen.yaml"
rm -f "$tmp.gen.yaml"
if ! diff -r "$tmp" src/generated; then
  echo "libs/contracts: generated code is stale; run 'npx nx run contracts:generate' and commit." >&2
  exit 1
fi
echo "libs/contracts: generated code is up to date."
