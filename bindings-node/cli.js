#!/usr/bin/env node
'use strict'
// The `paragon-connect` command (`npx paragon-connect --help`): the core's command line tool
// (core/src/cli.rs), run with this package's native module.

const native = require('./native.js')

process.exitCode = native.runCli(process.argv.slice(2))
