#!/usr/bin/env node
'use strict'
// The `paragon-connect` command (`npx paragon-connect --help`): the core's command line tool
// (core/src/cli.rs), run with this package's native module.

const native = require('./native.js')

const args = process.argv.slice(2)
if (args[0] === 'fake') {
  // `fake` waits for Ctrl-C in the core. Node's default SIGINT handler re-raises the signal,
  // which the core's handler passes on to it again, forever; with a listener, Node's handler
  // only queues the signal, and the core's ends the command.
  process.on('SIGINT', () => {})
}
process.exitCode = native.runCli(args)
