#!/usr/bin/env bash
# `npm run fork-trial` — the checked procedure for moving from cdktf (archived) to its fork CDK Terrain.
#
# In a scratch clone of this checkout's HEAD (never in the working tree): alias "cdktf" to cdktn, raise
# constructs into cdktn's range, point the provider bindings' peer "cdktf" at the alias (npm overrides),
# install, then type-check, run the whole test suite (the adapter's assumption tests and the
# byte-equality tests against the fork's own synthesis among them) and synthesize every environment,
# comparing the output with this checkout's. Prints what differs; exit 0 only when everything passed.
# Needs the npm registry; about six minutes on two cores. docs/architecture.md records the last result.
set -euo pipefail
FORK_VERSION="${FORK_VERSION:-0.24.0}"
CONSTRUCTS_VERSION="${CONSTRUCTS_VERSION:-10.7.2}"
root="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d /tmp/hsa-fork-trial.XXXXXX)"
trap 'rm -rf "$scratch"' EXIT

git -C "$root" clone -q "$root" "$scratch/repo"
cd "$scratch/repo"
node - "$FORK_VERSION" "$CONSTRUCTS_VERSION" <<'JS'
const fs = require('node:fs');
const [fork, constructs] = process.argv.slice(2);
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
pkg.devDependencies.cdktf = `npm:cdktn@${fork}`;
pkg.devDependencies.constructs = constructs;
// The prebuilt kubernetes and helm bindings declare peer cdktf ^0.21.0; the fork publishes none of its own.
const peers = { cdktf: '$cdktf', constructs: '$constructs' };
pkg.overrides = { '@cdktf/provider-kubernetes': peers, '@cdktf/provider-helm': peers };
fs.writeFileSync('package.json', `${JSON.stringify(pkg, null, 2)}\n`);
JS
rm -f package-lock.json
echo "fork-trial: installing cdktf=npm:cdktn@$FORK_VERSION, constructs@$CONSTRUCTS_VERSION"
npm install --no-audit --no-fund > "$scratch/install.log" 2>&1 || { tail -20 "$scratch/install.log"; exit 1; }
node -e "const p=require('cdktf/package.json'); console.log('fork-trial: cdktf resolves to', p.name, p.version)"

status=0
echo "fork-trial: type-check"
npx tsc --noEmit -p . || status=1
echo "fork-trial: test suite"
npx jest 2>&1 | tee "$scratch/jest.log" | grep -E '^(FAIL|Tests:)' || true
grep -q '^Tests:.* failed' "$scratch/jest.log" && status=1
grep -q '^Tests:' "$scratch/jest.log" || status=1

echo "fork-trial: every environment, compared with this checkout's output (cdktf 0.21)"
(cd "$root" && npm run --silent synth -- --cache off --env all --out "$scratch/out-cdktf" --reports "$scratch/reports-cdktf" > /dev/null)
npm run --silent synth -- --cache off --env all --out "$scratch/out-fork" --reports "$scratch/reports-fork" > /dev/null || status=1
changed=$(diff -r "$scratch/out-cdktf" "$scratch/out-fork" | grep -c '^>' || true)
echo "fork-trial: $changed changed line(s) in the output; what they became:"
diff -r "$scratch/out-cdktf" "$scratch/out-fork" | grep '^>' | sed -E 's/"[^"]*": //; s/^> +//' | sort | uniq -c | sort -rn | head -10 || true
if [ "$status" -eq 0 ]; then echo "fork-trial: passed"; else echo "fork-trial: FAILED"; fi
exit $status
