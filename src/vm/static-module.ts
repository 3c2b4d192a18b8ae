// Whether a contract's module body is *static*: running it only declares things (functions,
// classes, constants made of literals) and runs none of the contract's own code. Such a module can
// be evaluated once per sandbox instead of once per op, provided nothing an op does can reach the
// next one: every top-level binding is never assigned, and every value the top level holds is
// deep-frozen once the body has run (the guest does that, in every run, warm or canonical). The
// one thing freezing cannot reach is a closure's own variables, which is why the body may run no
// code of the contract's: the only closures it makes capture the module scope itself.
// The rule is read on the factory body that esbuild and withGuestInterop produced (what QuickJS
// runs), and is part of the runtime: a module that passes it has its top level frozen.

import { parse, tokenizer, type Node } from 'acorn'
import { full, simple } from 'acorn-walk'
import { INTEROP_MODULE } from './interop.js'

/** Names the factory provides (its parameters) or the interop line binds; never the contract's own. */
const FACTORY_NAMES = new Set(['require', 'module', 'arguments'])
const INTEROP_HELPERS = new Set(['__export', '__toESM', '__toCommonJS'])

/** An ESTree node, read field by field. */
type Any = any

/** A static body's top-level binding names, in declaration order; or why the body is not static. */
export type StaticModuleCheck = { names: string[] } | { notStatic: string }

/**
 * Whether a module body is static (a body that does not parse is not: it is simply run once per
 * op, as any other). The reason names the first thing found, quoting the factory's code.
 */
export function checkStaticModule(body: string): StaticModuleCheck {
  let program: Any
  try {
    if (nestsTooDeeply(body)) return { notStatic: `it nests deeper than ${MAX_NESTING} tokens, past what the check reads` }
    program = parse(body, { ecmaVersion: 'latest', sourceType: 'script' })
  } catch {
    return { notStatic: 'the module body does not parse for the check' }
  }
  const declared = topLevelNames(program)
  if (declared === null) return { notStatic: 'it declares require, module or an interop helper of its own' }
  const check = new StaticCheck(declared)
  for (const statement of program.body) {
    if (!check.statement(statement)) return { notStatic: `\`${snippet(body, statement)}\` runs code or keeps state at load` }
  }
  const assigned = assignedName(program, new Set(declared.names))
  if (assigned !== null) return { notStatic: `the top-level name ${assigned} is assigned` }
  if (mentionsArguments(program)) return { notStatic: 'it uses arguments' }
  return { names: declared.names }
}

/**
 * How deep the parse and the walks below may go, in tokens (nothing near it in a real contract).
 * They recurse, and where a stack overflows depends on the machine: a body the parser could not
 * read on one machine and could on another would be frozen on one and not on the other. So the
 * depth is bounded first, by a count that does not recurse, far below any stack's reach (arrays
 * nested about 790 deep are the shallowest overflow measured on Node's default stack).
 */
const MAX_NESTING = 256

/**
 * Whether the body's syntax tree could be deeper than MAX_NESTING. Its depth is at most the tokens
 * on the way to the deepest one: those since the last `;` or `,` at each open bracket, brace or
 * template substitution enclosing it, and the same at its own level. Counted on the tokenizer,
 * which reads in a loop.
 */
function nestsTooDeeply(body: string): boolean {
  const enclosing: number[] = []
  let below = 0
  let segment = 0
  for (const token of tokenizer(body, { ecmaVersion: 'latest' })) {
    const label = token.type.label
    if (label === ';' || label === ',') {
      segment = 0
      continue
    }
    if (below + ++segment > MAX_NESTING) return true
    if (label === '(' || label === '[' || label === '{' || label === '${') {
      enclosing.push(segment)
      below += segment
      segment = 0
    } else if (label === ')' || label === ']' || label === '}') {
      segment = enclosing.pop() ?? 0
      below -= segment
    }
  }
  return false
}

/** The statement's code, on one line, without the annotations esbuild writes (`/* @__PURE__ *\/`). */
function snippet(body: string, node: Any): string {
  const text = body
    .slice(node.start, node.end)
    .replace(/\/\*[\s\S]*?\*\/\s*/g, '')
    .replace(/\s+/g, ' ')
  return text.length <= 60 ? text : text.slice(0, 57) + '...'
}

interface Declared {
  names: string[]
  /** Top-level `const` names whose value is a primitive constant expression. */
  primitives: Set<string>
  /** The interop helpers bound by the interop line. */
  interop: Set<string>
}

function topLevelNames(program: Any): Declared | null {
  const names: string[] = []
  const primitives = new Set<string>()
  const interop = new Set<string>()
  const add = (name: string) => {
    if (!names.includes(name)) names.push(name)
  }
  for (const s of program.body) {
    if (s.type === 'FunctionDeclaration' || s.type === 'ClassDeclaration') add(s.id.name)
    if (s.type !== 'VariableDeclaration') continue
    for (const d of s.declarations) {
      if (d.id.type === 'Identifier') {
        add(d.id.name)
        continue
      }
      if (!isInteropLine(d)) return null
      for (const p of d.id.properties) {
        interop.add(p.key.name)
        add(p.key.name)
      }
    }
  }
  // Primitive constants, in order, so that one may be built from those before it.
  const check = new StaticCheck({ names, primitives, interop })
  for (const s of program.body) {
    if (s.type !== 'VariableDeclaration' || s.kind !== 'const') continue
    for (const d of s.declarations) if (d.id.type === 'Identifier' && d.init !== null && check.primitive(d.init)) primitives.add(d.id.name)
  }
  if (names.some((n) => FACTORY_NAMES.has(n) || (INTEROP_HELPERS.has(n) && !interop.has(n)))) return null
  return { names, primitives, interop }
}

/** `var { __export, ... } = require("glassbox:interop")`, as withGuestInterop writes it. */
function isInteropLine(d: Any): boolean {
  if (d.id.type !== 'ObjectPattern' || !isRequire(d.init, INTEROP_MODULE)) return false
  return d.id.properties.every((p: Any) => p.type === 'Property' && p.shorthand && p.key.type === 'Identifier' && INTEROP_HELPERS.has(p.key.name))
}

function isRequire(e: Any, name?: string): boolean {
  return (
    e?.type === 'CallExpression' &&
    e.callee.type === 'Identifier' &&
    e.callee.name === 'require' &&
    e.arguments.length === 1 &&
    e.arguments[0].type === 'Literal' &&
    typeof e.arguments[0].value === 'string' &&
    (name === undefined || e.arguments[0].value === name)
  )
}

class StaticCheck {
  constructor(private readonly declared: Declared) {}

  statement(s: Any): boolean {
    switch (s.type) {
      case 'EmptyStatement':
      case 'FunctionDeclaration':
        return true
      case 'ClassDeclaration':
        return this.classBody(s)
      case 'VariableDeclaration':
        return s.declarations.every((d: Any) => d.init === null || isInteropLine(d) || this.moduleValue(d.init) || this.value(d.init))
      case 'ExpressionStatement':
        return typeof s.directive === 'string' || this.exportStatement(s.expression)
      default:
        return false
    }
  }

  /** esbuild's `__export(target, { name: () => binding })` and `module.exports = __toCommonJS(target)`. */
  private exportStatement(e: Any): boolean {
    if (e.type === 'CallExpression' && this.isHelper(e.callee, '__export') && e.arguments.length === 2) {
      const [target, getters] = e.arguments
      return (
        target.type === 'Identifier' &&
        getters.type === 'ObjectExpression' &&
        getters.properties.every(
          (p: Any) => p.type === 'Property' && !p.computed && p.kind === 'init' && p.value.type === 'ArrowFunctionExpression' && p.value.params.length === 0 && p.value.body.type === 'Identifier',
        )
      )
    }
    return (
      e.type === 'AssignmentExpression' &&
      e.operator === '=' &&
      e.left.type === 'MemberExpression' &&
      !e.left.computed &&
      e.left.object.type === 'Identifier' &&
      e.left.object.name === 'module' &&
      e.left.property.name === 'exports' &&
      e.right.type === 'CallExpression' &&
      this.isHelper(e.right.callee, '__toCommonJS') &&
      e.right.arguments.length === 1 &&
      e.right.arguments[0].type === 'Identifier'
    )
  }

  /** An import: `require("name")`, or `__toESM(require("name"))` with esbuild's optional node flag. */
  private moduleValue(e: Any): boolean {
    if (isRequire(e)) return true
    if (e.type !== 'CallExpression' || !this.isHelper(e.callee, '__toESM') || !isRequire(e.arguments[0])) return false
    return e.arguments.length === 1 || (e.arguments.length === 2 && e.arguments[1].type === 'Literal' && e.arguments[1].value === 1)
  }

  private isHelper(e: Any, name: string): boolean {
    return e.type === 'Identifier' && e.name === name && this.declared.interop.has(name)
  }

  /** A value whose making runs none of the contract's code and creates no state freezing misses. */
  value(e: Any): boolean {
    switch (e.type) {
      case 'Identifier':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        return true
      case 'Literal':
        // A global or sticky regexp writes its lastIndex as it is used: frozen, it could not be.
        return e.regex === undefined || !/[gy]/.test(e.regex.flags)
      case 'MemberExpression':
        return this.globalRead(e)
      case 'ClassExpression':
        return this.classBody(e)
      case 'ArrayExpression':
        return e.elements.every((x: Any) => x === null || (x.type !== 'SpreadElement' && this.value(x)))
      case 'ObjectExpression':
        return e.properties.every((p: Any) => p.type === 'Property' && this.key(p) && (p.kind !== 'init' || p.method || this.value(p.value)))
      default:
        return this.primitive(e)
    }
  }

  /** An expression of literals and primitive constants: evaluating it calls nothing. */
  primitive(e: Any): boolean {
    switch (e.type) {
      case 'Literal':
        return e.regex === undefined
      case 'Identifier':
        return this.declared.primitives.has(e.name) || ((e.name === 'undefined' || e.name === 'NaN' || e.name === 'Infinity') && this.isGlobal(e.name))
      case 'TemplateLiteral':
        return e.expressions.every((x: Any) => this.primitive(x))
      case 'UnaryExpression':
        return e.operator !== 'delete' && this.primitive(e.argument)
      case 'BinaryExpression':
      case 'LogicalExpression':
        return this.primitive(e.left) && this.primitive(e.right)
      case 'ConditionalExpression':
        return this.primitive(e.test) && this.primitive(e.consequent) && this.primitive(e.alternate)
      default:
        return false
    }
  }

  /** `Symbol.iterator`, `Number.MAX_SAFE_INTEGER`: a read of the frozen realm, which runs no contract code. */
  private globalRead(e: Any): boolean {
    if (e.type === 'Identifier') return this.isGlobal(e.name)
    return e.type === 'MemberExpression' && !e.computed && !e.optional && e.property.type === 'Identifier' && this.globalRead(e.object)
  }

  private isGlobal(name: string): boolean {
    return !FACTORY_NAMES.has(name) && !this.declared.names.includes(name)
  }

  private key(p: Any): boolean {
    return !p.computed || this.primitive(p.key) || this.globalRead(p.key)
  }

  /** A class whose definition runs no code but its computed keys: no static fields or blocks. */
  private classBody(c: Any): boolean {
    if (c.superClass !== null && c.superClass.type !== 'Identifier') return false
    return c.body.body.every((m: Any) => {
      if (m.type === 'MethodDefinition') return this.key(m)
      if (m.type === 'PropertyDefinition') return !m.static && this.key(m)
      return false
    })
  }
}

/** A name of `names` that something anywhere assigns (shadowed or not: the check is by name), or null. */
function assignedName(program: Node, names: Set<string>): string | null {
  let found: string | null = null
  const target = (p: Any): void => {
    if (p === null || found !== null) return
    if (p.type === 'Identifier') found = names.has(p.name) ? p.name : null
    else if (p.type === 'ObjectPattern') for (const q of p.properties) target(q.type === 'RestElement' ? q.argument : q.value)
    else if (p.type === 'ArrayPattern') for (const q of p.elements) target(q)
    else if (p.type === 'AssignmentPattern') target(p.left)
    else if (p.type === 'RestElement') target(p.argument)
  }
  simple(program, {
    AssignmentExpression: (n: Any) => target(n.left),
    UpdateExpression: (n: Any) => target(n.argument),
    ForInStatement: (n: Any) => n.left.type !== 'VariableDeclaration' && target(n.left),
    ForOfStatement: (n: Any) => n.left.type !== 'VariableDeclaration' && target(n.left),
  })
  return found
}

/** `arguments` in a top-level arrow is the factory's own arguments object: state freezing misses. */
function mentionsArguments(program: Node): boolean {
  let found = false
  full(program, (n: Any) => {
    if (n.type === 'Identifier' && n.name === 'arguments') found = true
  })
  return found
}
