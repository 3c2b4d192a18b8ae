// The judge page's HTML and stylesheet; build.ts puts the bundled script inside. The page's own
// Content-Security-Policy forbids every connection, so even a file:// copy cannot reach a network.

/** No fetch, no frames, no external anything: inline script and style, WebAssembly compiled locally. */
export const JUDGE_CSP =
  "default-src 'none'; script-src 'unsafe-inline' 'wasm-unsafe-eval'; style-src 'unsafe-inline'; img-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'"

const CSS = `
:root { --fg: #1c2128; --muted: #636c76; --line: #d8dee4; --bg: #f6f8fa; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); }
header, main { padding: 12px 20px; }
header { border-bottom: 1px solid var(--line); background: var(--bg); }
h1 { font-size: 18px; margin: 0 0 4px; }
.hint, #status { color: var(--muted); margin: 4px 0; }
#drop { border: 2px dashed var(--line); border-radius: 8px; padding: 22px; text-align: center; margin-bottom: 12px; }
#drop.over { border-color: #0969da; background: #ddf4ff; }
label { display: block; margin: 8px 0; }
#key { width: 100%; max-width: 640px; font: 12px ui-monospace, monospace; padding: 4px; }
ol { list-style: none; padding: 0; margin: 0; }
.result { border: 1px solid var(--line); border-left-width: 6px; border-radius: 6px; padding: 6px 10px; margin-bottom: 8px; }
.result .name { font-weight: 600; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; border: 1px solid var(--line); font-size: 12px; }
.result.proven, .result.invalid { border-left-color: var(--bad); }
.result.proven .badge { background: var(--bad); color: #fff; }
.result.valid { border-left-color: var(--ok); }
.result.valid .badge { color: var(--ok); border-color: var(--ok); }
.result.not-proven, .result.malformed, .result.error { border-left-color: var(--warn); }
pre { margin: 4px 0 0; white-space: pre-wrap; word-break: break-word; font: 12px/1.4 ui-monospace, monospace; }
`

export function judgeHtml(script: string): string {
  // The script is a module bundle: close no tag early.
  const safe = script.replace(/<\/script/gi, '<\\/script')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${JUDGE_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Glassbox judge</title>
<style>${CSS}</style>
</head>
<body>
<header>
  <h1>Glassbox judge</h1>
  <p class="hint">Checks fraud proofs (as <code>glassbox judge</code>), state proofs and receipts (as <code>glassbox proof verify</code>) in this browser: nothing is sent anywhere, and this page needs no server.</p>
</header>
<main>
  <div id="drop">
    <p>Drop proof files here, or <input id="files" type="file" multiple accept=".json,application/json"></p>
    <p id="status">starting the judge (QuickJS and esbuild, in WebAssembly)…</p>
  </div>
  <label>Database key you trust (optional; without it each file is checked against the key it names)
    <input id="key" placeholder="64 hex characters" autocomplete="off" spellcheck="false"></label>
  <ol id="results"></ol>
</main>
<script type="module">${safe}</script>
</body>
</html>
`
}
