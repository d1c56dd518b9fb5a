/** The HTML shell shared by every page browsers see. */
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export interface LayoutProps {
  readonly title: string;
  /** The ActivityStreams document of this page, advertised for servers that parse HTML. */
  readonly alternate?: string;
  readonly description?: string;
  /** The CSP nonce of the page's inline style, when its response sends a CSP with one. */
  readonly nonce?: string;
  readonly body: Html;
}

/** The one style sheet, inline; pages without a nonce name it in their CSP by its hash. */
export const STYLE = `
:root{color-scheme:light dark;--muted:#6b7280;--line:#d1d5db}
body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:0 auto;padding:1rem}
header.profile img.avatar{width:5rem;height:5rem;border-radius:.5rem;object-fit:cover}
header.profile img.header{width:100%;max-height:12rem;object-fit:cover;border-radius:.5rem}
.handle,.meta{color:var(--muted)}
dl.fields{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}
dl.fields dt{font-weight:600}dl.fields dd{margin:0}
article{border-top:1px solid var(--line);padding:1rem 0}
article .meta a{color:inherit}
form.consent{display:grid;gap:1rem}
form.consent label{display:grid;gap:.25rem}
form.consent input[type=password]{font:inherit;padding:.5rem}
.buttons{display:flex;gap:1rem}
.buttons button{font:inherit;padding:.5rem 1rem}
[role=alert]{color:#b91c1c;font-weight:600}
ul.scopes li{margin:.25rem 0}
code#authorization-code{font-size:1.25rem;user-select:all;word-break:break-all}
`;

export function layout(props: LayoutProps) {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${props.title}</title>
${props.description === undefined ? "" : html`<meta name="description" content="${props.description}">`}
${props.alternate === undefined ? "" : html`<link rel="alternate" type="application/activity+json" href="${props.alternate}">`}
<style${props.nonce === undefined ? "" : html` nonce="${props.nonce}"`}>${STYLE}</style>
</head>
<body>
${props.body}
</body>
</html>`;
}
