#!/usr/bin/env node
// The `glassbox` command.

import { processOutput } from './output.js'
import { run } from './run.js'

// Stdout carries only results (one JSON document with --json); a library's diagnostics, such as
// Hypercore's line when it detects a fork, go to stderr with the rest.
console.log = console.error

process.exitCode = await run(process.argv.slice(2), processOutput)
