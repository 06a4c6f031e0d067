# Sourced: installs the Node package's development dependencies and builds its native module
# (debug) with @napi-rs/cli, from the working tree.
require node "install Node.js 18 or newer"
require npm "install npm (it comes with Node.js)"
step "Node: npm ci and napi build (bindings-node)"
(
  cd bindings-node
  npm ci --no-audit --no-fund --loglevel=error
  npm run --silent build:debug
)
