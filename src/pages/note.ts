/** A note as browsers see it, alone or in the profile's list. */
import { html, raw } from "hono/html";
import type { Config } from "../env";
import type { NoteRow } from "../storage/schema";
import { layout } from "./layout";

/** Our own notes' HTML was produced by us from plain text; remote HTML is sanitised on arrival. */
export function noteArticle(note: NoteRow) {
  const content = raw(note.content);
  const published = note.published.toISOString();
  return html`<article>
<p class="meta"><a href="${note.url ?? note.id}"><time datetime="${published}">${published.slice(0, 16).replace("T", " ")} UTC</time></a>${note.updated === null ? "" : " · edited"}</p>
${note.summary === null || note.summary === "" ? content : html`<details><summary>${note.summary}</summary>${content}</details>`}
</article>`;
}

export function notePage(config: Config, note: NoteRow) {
  const { owner, host } = config;
  return layout({
    title: `${owner.displayName} (@${owner.username}@${host})`,
    alternate: note.id,
    body: html`<header><a href="${config.urls.owner.profile}">${owner.displayName}</a> <span class="handle">@${owner.username}@${host}</span></header>
<main>${noteArticle(note)}</main>`,
  });
}
