// The explorer's HTML shell and stylesheet. The script (client/) fills the sections from the API.

export const EXPLORER_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Glassbox explorer</title>
<link rel="stylesheet" href="/explorer/style.css">
<script type="module" src="/explorer/app.js"></script>
</head>
<body>
<header>
  <h1>Glassbox explorer</h1>
  <dl id="summary"></dl>
  <div id="badges"><span id="verification" class="badge">verification: loading…</span> <span id="live" class="badge">connecting…</span></div>
  <nav><a href="/docs">API (OpenAPI)</a> · <a href="/judge">judge a file</a></nav>
</header>
<section id="breach" hidden></section>
<main>
  <section id="timeline-section">
    <h2>Index log</h2>
    <p class="hint">Blocks of entries, each closed by a seal the executor signs over the log's length, tree hash and state root.</p>
    <button id="older" hidden>load older entries</button>
    <div id="timeline"></div>
  </section>
  <aside>
    <section id="participants-section">
      <h2>Participants</h2>
      <ul id="participants"></ul>
      <div id="oplog"></div>
    </section>
    <section id="state-section">
      <h2>State</h2>
      <form id="state-form"><input id="prefix" placeholder="prefix, e.g. /values" autocomplete="off"><button>list</button></form>
      <ul id="state-list"></ul>
      <button id="state-more" hidden>more keys</button>
      <div id="proof"></div>
    </section>
  </aside>
</main>
</body>
</html>
`

export const EXPLORER_CSS = `
:root { --fg: #1c2128; --muted: #636c76; --line: #d8dee4; --bg: #f6f8fa; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --accent: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: #fff; }
header { padding: 12px 20px; border-bottom: 1px solid var(--line); background: var(--bg); }
h1 { font-size: 18px; margin: 0 0 6px; }
h2 { font-size: 15px; margin: 0 0 6px; }
code, .mono, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
pre { margin: 2px 0; white-space: pre-wrap; word-break: break-all; }
dl#summary { display: grid; grid-template-columns: max-content 1fr; gap: 1px 10px; margin: 0 0 6px; }
dl#summary dt { color: var(--muted); }
dl#summary dd { margin: 0; font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }
nav { margin-top: 6px; }
a { color: var(--accent); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; border: 1px solid var(--line); background: #fff; font-size: 12px; }
.badge.ok { color: var(--ok); border-color: var(--ok); }
.badge.bad { color: #fff; background: var(--bad); border-color: var(--bad); }
.badge.warn { color: var(--warn); border-color: var(--warn); }
main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 20px; padding: 14px 20px; }
.hint { color: var(--muted); margin: 0 0 8px; }
.block { border: 1px solid var(--line); border-radius: 6px; margin-bottom: 10px; }
.block > h3 { margin: 0; padding: 4px 10px; font-size: 12px; background: var(--bg); border-bottom: 1px solid var(--line); color: var(--muted); font-weight: 600; }
.entry { display: grid; grid-template-columns: 44px 70px minmax(0, 1fr); gap: 8px; padding: 5px 10px; border-top: 1px solid var(--bg); }
.entry.fresh { animation: fresh 2s ease-out; }
@keyframes fresh { from { background: #fff8c5; } to { background: transparent; } }
.entry .seq { color: var(--muted); text-align: right; font-family: ui-monospace, monospace; }
.entry .type { font-weight: 600; }
.entry.failed .type { color: var(--bad); }
.entry.breach { outline: 2px solid var(--bad); }
.kv { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0 8px; }
.kv > span:nth-child(odd) { color: var(--muted); }
.kv > span:nth-child(even) { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }
ul { list-style: none; margin: 0; padding: 0; }
#participants li, #state-list li { padding: 3px 6px; border-bottom: 1px solid var(--bg); cursor: pointer; }
#participants li:hover, #state-list li:hover, #state-list li.selected { background: var(--bg); }
#state-list li code { color: var(--accent); }
aside section { margin-bottom: 18px; }
#state-form { display: flex; gap: 6px; margin-bottom: 6px; }
#state-form input { flex: 1; padding: 3px 6px; }
#proof, #oplog { margin-top: 8px; }
.panel { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; background: #fff; }
.panel h3 { margin: 0 0 6px; font-size: 13px; word-break: break-all; }
.check { margin: 6px 0; }
.check.ok::before { content: "✓ "; color: var(--ok); }
.check.bad::before { content: "✗ "; color: var(--bad); }
#breach { margin: 12px 20px 0; padding: 10px 14px; border: 2px solid var(--bad); border-radius: 6px; background: #ffebe9; }
#breach h2 { color: var(--bad); }
button { font: inherit; padding: 2px 10px; }
@media (max-width: 900px) { main { grid-template-columns: 1fr; } }
`
