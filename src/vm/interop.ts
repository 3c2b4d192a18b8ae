// esbuild's CommonJS output defines four interop helpers at the top of every factory, and running
// them is most of what a small contract's module body costs on each run: `__export` defines a getter
// per export, `__toCommonJS` copies each one as another getter, `__toESM` copies an import. The
// guest provides the same helpers once per sandbox (guest/modules.ts, as the module INTEROP_MODULE),
// so the factory's own definitions are taken out here. The texts are esbuild's, byte for byte, for
// the version RUNTIME_ID names; a helper whose text differs stays in the factory, so an unexpected
// output is only slower, never different.

/** The module name under which the guest's `require` answers the interop helpers. */
export const INTEROP_MODULE = 'glassbox:interop'

const HELPERS: readonly (readonly [name: string, text: string])[] = [
  [
    '__export',
    `var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};
`,
  ],
  [
    '__toESM',
    `var __toESM = (mod, isNodeMode, target) => (target = mod != null ? __create(__getProtoOf(mod)) : {}, __copyProps(
  // If the importer is in node compatibility mode or this is not an ESM
  // file that has been converted to a CommonJS file using a Babel-
  // compatible transform (i.e. "__esModule" has not been set), then set
  // "default" to the CommonJS "module.exports" for node compatibility.
  isNodeMode || !mod || !mod.__esModule ? __defProp(target, "default", { value: mod, enumerable: true }) : target,
  mod
));
`,
  ],
  ['__toCommonJS', `var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);\n`],
]

/** Used only by the helpers above: dropped once none of them is left to call it. */
const COPY_PROPS = `var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
  }
  return to;
};
`

/** esbuild's CommonJS output with the interop helpers the guest provides taken out and bound to its. */
export function withGuestInterop(code: string): string {
  const taken: string[] = []
  for (const [name, text] of HELPERS) {
    const at = code.indexOf(text)
    // Only a definition at the start of a line, before any of the contract's own code.
    if (at < 0 || (at > 0 && code[at - 1] !== '\n') || code.indexOf(text, at + 1) >= 0) continue
    code = code.slice(0, at) + code.slice(at + text.length)
    taken.push(name)
  }
  if (taken.length === 0) return code
  const copyAt = code.indexOf(COPY_PROPS)
  if (copyAt >= 0 && !code.slice(copyAt + COPY_PROPS.length).includes('__copyProps(')) code = code.slice(0, copyAt) + code.slice(copyAt + COPY_PROPS.length)
  return `var { ${taken.join(', ')} } = require(${JSON.stringify(INTEROP_MODULE)});\n${code}`
}
