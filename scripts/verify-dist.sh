#!/usr/bin/env bash
# Proves dist/ installs where users run it: the wheel into a fresh virtualenv and the npm tarball
# into an empty project, both with no cargo or rustc on PATH, each running the Slack example
# against the sandbox (and tsc --strict on TypeScript using the package); auditwheel and objdump
# show nothing newer than glibc 2.17.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
root=$PWD
wheel=$(ls dist/*.whl)
tarball=$(ls dist/*.tgz)
cargo build --quiet --locked -p paragon-sandbox
sandbox_bin="$root/target/debug/paragon-sandbox"
python=$(python3 -c "import sys; print(sys.executable)")
node=$(command -v node)
npm_cli=$(command -v npm)

work=$(mktemp -d)
sandbox_pid=
cleanup() {
  [ -n "$sandbox_pid" ] && kill "$sandbox_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# A PATH without Rust: only the directories of python3, node and the system's tools.
no_rust_path="$(dirname "$python"):$(dirname "$node"):/usr/local/bin:/usr/bin:/bin"
for tool in cargo rustc; do
  if PATH="$no_rust_path" command -v "$tool" >/dev/null; then
    echo "error: $tool is still on the PATH meant to have no Rust" >&2
    exit 1
  fi
done

mkfifo "$work/sandbox-in"
"$sandbox_bin" --until-stdin-closes < "$work/sandbox-in" > "$work/sandbox-out" &
sandbox_pid=$!
exec 9> "$work/sandbox-in"
for _ in $(seq 50); do [ -s "$work/sandbox-out" ] && break; sleep 0.1; done
url=$("$python" -c "import json,sys; print(json.load(open(sys.argv[1]))['url'])" "$work/sandbox-out")
project=$("$python" -c "import json,sys; print(json.load(open(sys.argv[1]))['project_id'])" "$work/sandbox-out")
token=$(curl -fsS "$url/_sandbox/token?sub=dist-check")
export PARAGON_PROJECT_ID=$project PARAGON_USER_TOKEN=$token PARAGON_PROXY_BASE_URL=$url

step "Python: the wheel in a fresh virtualenv, no Rust on PATH"
PATH="$no_rust_path" "$python" -m venv "$work/venv"
PATH="$no_rust_path" "$work/venv/bin/pip" install --quiet --disable-pip-version-check "$wheel"
PATH="$no_rust_path" "$work/venv/bin/python" - <<'PY'
from paragon_connect import Paragon
answer = Paragon().request("slack", "/chat.postMessage", method="POST",
                           body={"channel": "C0", "text": "hi from the wheel"})
assert answer["ok"] is True and answer["message"]["text"] == "hi from the wheel", answer
print("wheel: slack chat.postMessage ->", answer["ok"])
PY
"$root/.venv/bin/python" -m pip install --quiet --disable-pip-version-check auditwheel==6.8.2
"$root/.venv/bin/auditwheel" show "$wheel" | tee "$work/auditwheel"
grep -q 'manylinux_2_17_x86_64' "$work/auditwheel"

step "Node: the tarball in an empty project, no Rust on PATH"
mkdir "$work/app"
cd "$work/app"
echo '{"name": "dist-check", "private": true}' > package.json
PATH="$no_rust_path" "$npm_cli" install --silent --no-audit --no-fund "$root/$tarball" typescript@5.9.3 @types/node@20.19.43
cat > check.cjs <<'JS'
const { Paragon } = require('paragon-connect')
new Paragon().request('slack', '/chat.postMessage', { method: 'POST', body: { channel: 'C0', text: 'hi from cjs' } })
  .then((answer) => { if (answer.message.text !== 'hi from cjs') throw new Error(JSON.stringify(answer)); console.log('npm (CommonJS): ok') })
  .catch((error) => { console.error(error); process.exit(1) })
JS
cat > check.mjs <<'JS'
import { Paragon } from 'paragon-connect'
const answer = await new Paragon().request('slack', '/chat.postMessage', { method: 'POST', body: { channel: 'C0', text: 'hi from esm' } })
if (answer.message.text !== 'hi from esm') throw new Error(JSON.stringify(answer))
console.log('npm (ESM): ok')
JS
cat > check.ts <<'TS'
import { Paragon, NotFoundError, type RawResponse } from 'paragon-connect'
async function main(): Promise<void> {
  const paragon = new Paragon({ projectId: 'p', userToken: 't' })
  const file: RawResponse = await paragon.request('googledrive', '/files/x', { raw: true })
  try { await paragon.user('u').getUser() } catch (error) { if (error instanceof NotFoundError) console.log(error.status) }
  console.log(file.body.length)
}
void main
TS
PATH="$no_rust_path" "$node" check.cjs
PATH="$no_rust_path" "$node" check.mjs
PATH="$no_rust_path" "$node" node_modules/typescript/bin/tsc --strict --noEmit --module node16 --moduleResolution node16 --target es2022 --types node check.ts
echo "npm (TypeScript): tsc --strict ok"
cd "$root"

step "glibc: no symbol newer than 2.17 in either binary"
unzip -q -o "$wheel" -d "$work/wheel"
for binary in "$work"/wheel/paragon_connect/*.so "$work/app/node_modules/paragon-connect/paragon-connect.linux-x64-gnu.node"; do
  newest=$(objdump -T "$binary" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n 1)
  echo "$(basename "$binary"): newest $newest"
  if [ "$(printf '%s\nGLIBC_2.17\n' "$newest" | sort -V | tail -n 1)" != "GLIBC_2.17" ]; then
    echo "error: $(basename "$binary") needs $newest, newer than 2.17" >&2
    exit 1
  fi
done
step "dist/ verified."
