#!/usr/bin/env bash
# Flat memory for large files: in each language, peak RSS of a process that streams (and one
# that downloads to a file) 1 MiB, then 1 GiB, from the sandbox. The 1 GiB run may use at most
# 64 MiB more than the 1 MiB run. Not part of `make test`: its figures are in the README.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
source scripts/python-env.sh
source scripts/node-env.sh
cargo build --quiet --release --locked -p paragon-sandbox
sandbox_bin="$TARGET_DIR/$CARGO_BUILD_TARGET/release/paragon-sandbox"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python_run() { # mode size -> peak RSS in KiB
  PARAGON_SANDBOX_BIN="$sandbox_bin" .venv/bin/python - "$1" "$2" "$work" <<'PY'
import json, resource, subprocess, sys, urllib.request
mode, size, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
import os
sandbox = subprocess.Popen([os.environ["PARAGON_SANDBOX_BIN"], "--until-stdin-closes"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
ready = json.loads(sandbox.stdout.readline())
token = urllib.request.urlopen(ready["url"] + "/_sandbox/token?sub=m").read().decode()
request = urllib.request.Request(ready["url"] + "/_sandbox/replies", data=json.dumps({"generated_bytes": size, "content_length": True}).encode(), headers={"content-type": "application/json"})
urllib.request.urlopen(request).close()
from paragon_connect import Paragon
paragon = Paragon(project_id=ready["project_id"], user_token=token, proxy_base_url=ready["url"])
if mode == "stream":
    total = 0
    with paragon.stream("googledrive", "/files/big") as response:
        for chunk in response.iter_bytes():
            total += len(chunk)
else:
    total = paragon.download("googledrive", "/files/big", to=f"{work}/py.bin").size
    os.remove(f"{work}/py.bin")
assert total == size, total
sandbox.stdin.close(); sandbox.wait()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
PY
}

node_run() { # mode size -> peak RSS in KiB
  PARAGON_SANDBOX_BIN="$sandbox_bin" node - "$1" "$2" "$work" <<'JS'
const { spawn } = require('node:child_process')
const { createInterface } = require('node:readline')
const fs = require('node:fs')
const { Paragon } = require(process.cwd() + '/bindings-node')
const [mode, sizeText, work] = process.argv.slice(2)
const size = Number(sizeText)
;(async () => {
  const sandbox = spawn(process.env.PARAGON_SANDBOX_BIN, ['--until-stdin-closes'], { stdio: ['pipe', 'pipe', 'inherit'] })
  const ready = JSON.parse(await new Promise((resolve) => createInterface({ input: sandbox.stdout }).once('line', resolve)))
  const userToken = await (await fetch(`${ready.url}/_sandbox/token?sub=m`)).text()
  await fetch(`${ready.url}/_sandbox/replies`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ generated_bytes: size, content_length: true }) })
  const paragon = new Paragon({ projectId: ready.project_id, userToken, proxyBaseUrl: ready.url })
  let total = 0
  if (mode === 'stream') {
    const response = await paragon.stream('googledrive', '/files/big')
    for await (const chunk of response.body) total += chunk.length
  } else {
    total = (await paragon.download('googledrive', '/files/big', { to: `${work}/node.bin` })).size
    fs.rmSync(`${work}/node.bin`)
  }
  if (total !== size) throw new Error(`got ${total} bytes`)
  sandbox.stdin.end()
  console.log(process.resourceUsage().maxRSS)
})()
JS
}

failed=0
printf '\n%-8s %-9s %12s %12s %12s\n' language mode "1 MiB (MiB)" "1 GiB (MiB)" "growth (MiB)"
for language in python node; do
  for mode in stream download; do
    small=$("${language}_run" "$mode" $((1024 * 1024)))
    large=$("${language}_run" "$mode" $((1024 * 1024 * 1024)))
    growth=$(( (large - small) / 1024 ))
    printf '%-8s %-9s %12d %12d %12d\n' "$language" "$mode" $((small / 1024)) $((large / 1024)) "$growth"
    [ "$growth" -lt 64 ] || failed=1
  done
done
[ "$failed" = 0 ] || { echo "error: a 1 GiB transfer used 64 MiB or more beyond a 1 MiB one" >&2; exit 1; }
