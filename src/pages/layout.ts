/** The HTML shell shared by every page browsers see. */
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** A `<meta>` of the page's head: OpenGraph's (`property`) or a named one (Twitter's cards). */
export type Meta =
  | { readonly property: string; readonly content: string }
  | { readonly name: string; readonly content: string };

export interface LayoutProps {
  readonly title: string;
  /** The ActivityStreams document of this page, advertised for servers that parse HTML. */
  readonly alternate?: string;
  readonly description?: string;
  /** The page's own URL, for search engines and link previews. */
  readonly canonical?: string;
  /** Link previews' cards (OpenGraph, Twitter), in order. */
  readonly meta?: readonly Meta[];
  /** Not to be indexed (a form, an error). Default false. */
  readonly noindex?: boolean;
  /** The CSP nonce of the page's inline style, when its response sends a CSP with one. */
  readonly nonce?: string;
  readonly body: Html;
}

/** The one style sheet, inline; pages without a nonce name it in their CSP by its hash. */
export const STYLE = `
:root{color-scheme:light dark;--muted:#6b7280;--line:#d1d5db;--accent:#4f46e5}
body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:0 auto;padding:1rem}
img,video{max-width:100%;height:auto}
header.profile img.avatar{width:5rem;height:5rem;border-radius:.5rem;object-fit:cover}
header.profile img.header{width:100%;max-height:12rem;object-fit:cover;border-radius:.5rem}
header.profile h1{margin:.25rem 0 0}
header.owner{display:flex;align-items:center;gap:.5rem;flex-wrap:wrap}
header.owner img{width:2.5rem;height:2.5rem;border-radius:.25rem;object-fit:cover}
.handle,.meta{color:var(--muted)}
.handle{overflow-wrap:anywhere}
a.button,form.follow button{display:inline-block;font:inherit;padding:.4rem 1rem;border-radius:.5rem;border:0;background:var(--accent);color:#fff;text-decoration:none;cursor:pointer}
header.owner a.button{margin-left:auto}
dl.fields{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}
dl.fields dt{font-weight:600}dl.fields dd{margin:0;overflow-wrap:anywhere}
dl.fields .verified{color:#1b7a3a}dl.fields dd.verified a{color:inherit}
article{border-top:1px solid var(--line);padding:1rem 0;overflow-wrap:anywhere}
article .meta a,article .author a{color:inherit}
article .author{margin:0}
.media{display:grid;gap:.5rem;margin:.5rem 0}
.media img,.media video{display:block;border-radius:.5rem}
.media audio{width:100%}
details summary{cursor:pointer;font-weight:600}
nav.pager{display:flex;justify-content:space-between;border-top:1px solid var(--line);padding:1rem 0}
form.follow{display:grid;gap:.75rem}
form.follow input{font:inherit;padding:.5rem}
form.follow button{justify-self:start}
form.consent{display:grid;gap:1rem}
form.consent label{display:grid;gap:.25rem}
form.consent input[type=password]{font:inherit;padding:.5rem}
.buttons{display:flex;gap:1rem}
.buttons button{font:inherit;padding:.5rem 1rem}
[role=alert]{color:#b91c1c;font-weight:600}
ul.scopes li{margin:.25rem 0}
code#authorization-code{font-size:1.25rem;user-select:all;word-break:break-all}
`;

const metaTag = (m: Meta) =>
  "property" in m
    ? html`<meta property="${m.property}" content="${m.content}">`
    : html`<meta name="${m.name}" content="${m.content}">`;

export function layout(props: LayoutProps) {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${props.title}</title>
${props.description === undefined ? "" : html`<meta name="description" content="${props.description}">`}
${props.noindex === true ? html`<meta name="robots" content="noindex">` : ""}
${props.canonical === undefined ? "" : html`<link rel="canonical" href="${props.canonical}">`}
${props.alternate === undefined ? "" : html`<link rel="alternate" type="application/activity+json" href="${props.alternate}">`}
${(props.meta ?? []).map(metaTag)}
<style${props.nonce === undefined ? "" : html` nonce="${props.nonce}"`}>${STYLE}</style>
</head>
<body>
${props.body}
</body>
</html>`;
}
