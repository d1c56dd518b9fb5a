/** A note as browsers see it, alone or in the profile's list. */
import { html, raw } from "hono/html";
import type { Config } from "../env";
import type { Profile } from "../storage/owner-profile";
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

/** The name a page shows: the display name, or the username when it is blank (as Mastodon). */
export function shownName(config: Config, profile: Pick<Profile, "displayName">): string {
  return profile.displayName === "" ? config.owner.username : profile.displayName;
}

export function notePage(config: Config, note: NoteRow, profile: Profile) {
  const { owner, host } = config;
  const name = shownName(config, profile);
  return layout({
    title: `${name} (@${owner.username}@${host})`,
    alternate: note.id,
    body: html`<header><a href="${config.urls.owner.profile}">${name}</a> <span class="handle">@${owner.username}@${host}</span></header>
<main>${noteArticle(note)}</main>`,
  });
}
