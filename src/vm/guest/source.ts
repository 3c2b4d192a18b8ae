// Assembles the guest program: one function, evaluated once per QuickJS context, that receives the
// host functions and the compiled contract factory, hardens and freezes the realm, and returns the
// runners. The pieces share one closure, so nothing they define is reachable from globalThis.

import { ASSERT_SOURCE } from './assert.js'
import { HARDEN_SOURCE } from './harden.js'
import { JSON_SOURCE } from './json.js'
import { MODULES_SOURCE } from './modules.js'
import { RUNNERS_SOURCE } from './runners.js'

export const GUEST_SOURCE = [
  '(function (host, factory, isStatic) {',
  "'use strict'",
  HARDEN_SOURCE,
  JSON_SOURCE,
  ASSERT_SOURCE,
  MODULES_SOURCE,
  RUNNERS_SOURCE,
  'lockdown([runners, tx, emit, require, contractModule, assertModule, utilModule, interopModule, host, factory])',
  'return runners',
  '})',
].join('\n')
