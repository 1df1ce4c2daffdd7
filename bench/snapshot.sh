#!/bin/sh
# A built copy of one commit, outside the working tree, to bench against:
#   sh bench/snapshot.sh REV DIR     (prints DIR/bin/recflow.js)
# e.g. RECFLOW_BIN_B="$(sh bench/snapshot.sh HEAD~5 /tmp/recflow-before)" npm run bench
# The working tree's dist/ is rebuilt by every test run; a snapshot keeps those
# rebuilds (and half-done edits) out of the figures. node_modules is linked, not copied.
set -eu
rev=${1:?usage: sh bench/snapshot.sh REV DIR}
dir=${2:?usage: sh bench/snapshot.sh REV DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
commit=$(git -C "$root" rev-parse --verify "$rev^{commit}")
if [ -f "$dir/.commit" ] && [ "$(cat "$dir/.commit")" = "$commit" ] && [ -f "$dir/dist/cli/main.js" ]; then
  echo "$dir/bin/recflow.js"
  exit 0
fi
rm -rf "$dir"
mkdir -p "$dir"
git -C "$root" archive "$commit" | tar -x -C "$dir"
ln -s "$root/node_modules" "$dir/node_modules"
(cd "$dir" && "$root/node_modules/.bin/tsc" -p tsconfig.json) >&2
echo "$commit" > "$dir/.commit"
echo "$dir/bin/recflow.js"
