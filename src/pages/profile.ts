/** The owner's profile page, what a browser gets at the actor's URL. */
import { html, raw } from "hono/html";
import { profileImages } from "../activitypub/actor";
import { fieldValueToHtml, textToHtml } from "../activitypub/text";
import type { Config } from "../env";
import type { ProfileSummary } from "../storage/profile";
import { layout } from "./layout";
import { noteArticle, shownName } from "./note";

export function profilePage(config: Config, summary: ProfileSummary) {
  const { owner, urls, host } = config;
  const { profile } = summary;
  const handle = `@${owner.username}@${host}`;
  const name = shownName(config, profile);
  const { avatar, header } = profileImages(config, profile);
  return layout({
    title: `${name} (${handle})`,
    description: profile.note,
    alternate: urls.owner.id,
    body: html`<header class="profile">
${header === undefined ? "" : html`<img class="header" src="${header}" alt="">`}
${avatar === undefined ? "" : html`<img class="avatar" src="${avatar}" alt="">`}
<h1>${name}</h1>
<p class="handle">${handle}</p>
${raw(textToHtml(profile.note))}
${
  profile.fields.length === 0
    ? ""
    : html`<dl class="fields">${profile.fields.map(
        (f) => html`<dt>${f.name}</dt><dd>${raw(fieldValueToHtml(f.value))}</dd>`,
      )}</dl>`
}
<p class="meta">${summary.posts} posts · ${summary.following} following · ${summary.followers} followers</p>
<p class="meta">To follow, search for <strong>${handle}</strong> on your own server.</p>
</header>
<main>${summary.recent.map((note) => noteArticle(note))}</main>`,
  });
}
