/**
 * The frame the grading pages share: one self-contained HTML document (inline CSS, no script, no request anywhere —
 * the CSP says so), readable on screen and on paper. Everything put into it must already be escaped: the pages carry
 * text students wrote (names, check messages quoting their services' answers), so escaping happens where text is
 * placed, with `escapeHtml`, and nothing here trusts its input to be markup-free except `body`.
 */
import { escapeHtml } from '../../slides/render.js';

export { escapeHtml };

/** No script at all, no network: a student's message that slipped past escaping still could not run or phone home. */
const CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

const CSS = `
:root { color-scheme: light; --ok: #1a7f37; --bad: #cf222e; --muted: #57606a; --line: #d0d7de; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 1.6em; margin: 0 0 4px; } h2 { font-size: 1.25em; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 1.05em; margin: 20px 0 6px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 14px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
table.summary { width: auto; min-width: 320px; }
th { background: var(--soft); } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.msg { white-space: pre-wrap; overflow-wrap: anywhere; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
.passed { color: var(--ok); } .failed { color: var(--bad); } .skipped { color: var(--muted); }
.muted { color: var(--muted); } .meta { color: var(--muted); margin: 0 0 12px; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 13px; border: 1px solid var(--line); background: var(--soft); }
.badge.bad { color: var(--bad); border-color: var(--bad); } .badge.ok { color: var(--ok); border-color: var(--ok); }
.box { border: 1px solid var(--line); border-left: 4px solid var(--bad); background: #fff8f8; padding: 8px 12px; margin: 12px 0; }
.box.note { border-left-color: #9a6700; background: #fffbea; }
details { margin: 2px 0; } summary { cursor: pointer; color: var(--muted); }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; background: var(--soft); padding: 0 3px; border-radius: 3px; }
.total { font-size: 1.2em; font-weight: 600; }
svg text { font: 11px system-ui, sans-serif; fill: #1f2328; }
@media print {
  body { max-width: none; padding: 0; font-size: 12px; }
  h2 { break-after: avoid; } tr, .box, figure { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
`;

/** A whole page around an already-escaped body. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
${body}
</body>
</html>
`;
}
