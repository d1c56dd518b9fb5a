/**
 * The seed of `bench/read.mjs`, as one SQL script run by `wrangler d1 execute --file` on a
 * migrated D1 (set-based: recursive CTEs, no row written from JavaScript). What it holds is
 * described there.
 */

const [ACTORS, HOSTS, FOLLOWED, FOLLOWERS] = [5000, 200, 1000, 1000];
/** Between two posts (100,000 posts: a year); the newest is 12 hours old. */
const STEP_MS = 300_000;
const HOUR_MS = 3_600_000;
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

/** A remote actor's id, as SQL, from its number (1 to ACTORS). */
const actorSql = (x) => `printf('https://h%d.example/users/u%d', (${x}) % ${HOSTS}, ${x})`;
const isoSql = (t) => `strftime('%Y-%m-%dT%H:%M:%fZ', (${t}) / 1000.0, 'unixepoch')`;
const recursive = (name, n, from = 1) =>
  `(WITH RECURSIVE c(${name}) AS (SELECT ${from} UNION ALL SELECT ${name} + 1 FROM c WHERE ${name} < ${from + n - 1}) SELECT ${name} FROM c)`;
/** A post's words after its number (`s`): post s is the only one holding s as a word. */
const WORDS =
  " of the read benchmark, with a few more words so that it is about as long as a status usually is.";
/** A post's HTML, and its plain text as `searchText` makes it (what `notes_search` holds). */
const TEXT = `'Post ' || s || '${WORDS}</p>'`;
const PLAIN = `'Post ' || s || '${WORDS}'`;
const mentionHtml = (owner) =>
  `'<p><span class="h-card"><a href="${owner}" class="u-url mention">@<span>owner</span></a></span> '`;

/** How the notifications split, by type; mentions and boosts as many as notes allow. */
function plan({ posts, notifications }) {
  let mentionable = 0;
  let ownerPublic = 0;
  for (let s = 1; s <= posts; s++) {
    if (s % 10 !== 0 && (s % 10 === 5 || s % 100 === 9)) mentionable++;
    if (s % 10 === 0 && (s % 30 === 0 || s % 70 !== 0)) ownerPublic++;
  }
  const follows = Math.min(FOLLOWERS, Math.round(notifications * 0.02));
  const mentions = Math.min(mentionable, Math.round(notifications * 0.2));
  const rest = ownerPublic === 0 ? 0 : notifications - follows - mentions;
  const favourites = Math.round(rest * 0.6);
  return { follows, mentions, favourites, reblogs: rest - favourites, ownerPublic };
}

/**
 * Favourites or boosts of the owner's public and unlisted notes (`bench_o`, numbered by `k`),
 * round after round (`j`), `minutes` apart, each from another account, grouped per note in
 * spans of 12 hours as the instance does (`group_key`); `rid` names its reaction.
 */
function reactionNotifications({ type, count, minutes, first, mix }, ownerPublic) {
  const gap = minutes * 60_000;
  const span = Math.ceil(720 / minutes);
  return `SELECT '${type}' AS type, ${actorSql(`(kk * ${mix[0]} + j * ${mix[1]}) % ${ACTORS} + 1`)} AS account,
    o.id AS target, '${type}-' || o.s || '-' || ((o.pub + ((j / ${span}) * ${span} + 1) * ${gap}) / ${HOUR_MS}) AS group_key,
    min(${Date.now()}, o.pub + (j + 1) * ${gap}) AS created_at, ${first} + i AS rid
  FROM (SELECT i, i % ${ownerPublic} AS kk, i / ${ownerPublic} AS j FROM ${recursive("i", count, 0)} WHERE i < ${count})
  JOIN bench_o o ON o.k = kk`;
}

/**
 * The script that seeds a migrated D1 with `posts` notes and `notifications` notifications for
 * the instance at `origin`, and how the notifications split (`plan`).
 */
export function seedSql({ posts, notifications, origin }) {
  const OWNER = `${origin}/users/owner`;
  const MENTION = mentionHtml(OWNER);
  const now = Date.now();
  const last = now - 12 * HOUR_MS;
  const p = plan({ posts, notifications });
  const local = `(((${last} - (${posts} - s) * ${STEP_MS}) << 16) | (s & 65535))`;
  const follower = (x) => `${x} + ${FOLLOWED / 2}`;
  return {
    plan: p,
    sql: `
INSERT INTO actors (seq, id, type, preferred_username, domain, name, summary, url, inbox, shared_inbox, outbox, followers, following, featured, public_key_id, public_key_pem, icon_url, published, fetched_at, created_at)
SELECT x, id, 'Person', 'u' || x, 'h' || (x % ${HOSTS}) || '.example', 'User ' || x, '<p>A remote account of the read benchmark.</p>', replace(id, '/users/', '/@'), id || '/inbox', 'https://h' || (x % ${HOSTS}) || '.example/inbox', id || '/outbox', id || '/followers', id || '/following', id || '/collections/featured', id || '#main-key', '-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n', 'https://h' || (x % ${HOSTS}) || '.example/avatars/' || x || '.png', ${now - 400 * 24 * HOUR_MS}, ${now}, ${now - 400 * 24 * HOUR_MS} + x * 60000
FROM (SELECT x, ${actorSql("x")} AS id FROM ${recursive("x", ACTORS)});

INSERT INTO follows (actor, follower, state, activity_id, created_at, accepted_at)
SELECT ${actorSql("x")}, '${OWNER}', 'accepted', '${origin}/activities/' || (((${last} - x * 20000000) << 16) | x), ${last} - x * 20000000, ${last} - x * 20000000 + 1000 FROM ${recursive("x", FOLLOWED)}
UNION ALL SELECT '${OWNER}', ${actorSql(follower("x"))}, 'accepted', ${actorSql(follower("x"))} || '#follows/' || x, ${last} - x * 20000000, ${last} - x * 20000000 FROM ${recursive("x", FOLLOWERS)};

CREATE TABLE bench_n AS SELECT s, mine, pub, author,
  CASE WHEN mine THEN '${OWNER}/statuses/' || local ELSE author || '/statuses/' || s END AS id,
  CASE WHEN mine THEN '${origin}/@owner/' || local ELSE replace(author, '/users/', '/@') || '/' || s END AS url,
  CASE WHEN mine THEN CASE WHEN s % 30 = 0 THEN 'unlisted' WHEN s % 70 = 0 THEN 'private' ELSE 'public' END
    WHEN s % 100 = 9 THEN 'direct' WHEN s % 20 = 3 THEN 'unlisted' WHEN s % 20 = 7 THEN 'private' ELSE 'public' END AS vis,
  NOT mine AND (s % 10 = 5 OR s % 100 = 9) AS mentions,
  CASE WHEN NOT mine AND s % 10 = 5 AND s > 10 THEN '${OWNER}/statuses/' || (((pub - 5 * ${STEP_MS}) << 16) | ((s - 5) & 65535)) END AS reply_to
FROM (SELECT s, s % 10 = 0 AS mine, ${last} - (${posts} - s) * ${STEP_MS} AS pub, ${local} AS local,
  CASE WHEN s % 10 = 0 THEN '${OWNER}' ELSE ${actorSql(`(s * 7919) % ${FOLLOWED} + 1`)} END AS author
  FROM ${recursive("s", posts)});

INSERT INTO notes (seq, id, type, attributed_to, in_reply_to, content, sensitive, language, visibility, url, attachments, published)
SELECT s, id, 'Note', author, reply_to, CASE WHEN mentions THEN ${MENTION} ELSE '<p>' END || ${TEXT}, 0, 'en', vis, url, '[]', pub FROM bench_n ORDER BY s;

INSERT INTO notes_search (rowid, body)
SELECT s, CASE WHEN mentions THEN '@owner ' ELSE '' END || ${PLAIN} FROM bench_n ORDER BY s;
INSERT INTO notes_search (rowid, body) VALUES (0, '');

INSERT INTO note_recipients (note_seq, recipient, field)
SELECT s, '${PUBLIC}', CASE vis WHEN 'public' THEN 'to' ELSE 'cc' END FROM bench_n WHERE vis IN ('public', 'unlisted')
UNION ALL SELECT s, author || '/followers', CASE vis WHEN 'public' THEN 'cc' ELSE 'to' END FROM bench_n WHERE vis <> 'direct'
UNION ALL SELECT s, '${OWNER}', CASE WHEN vis IN ('private', 'direct') THEN 'to' ELSE 'cc' END FROM bench_n WHERE mentions;

INSERT INTO note_tags (note_seq, type, name, href)
SELECT s, 'Mention', 'owner@${new URL(origin).host}', '${OWNER}' FROM bench_n WHERE mentions
UNION ALL SELECT s, 'Hashtag', 'bench', substr(author, 1, instr(substr(author, 9), '/') + 8) || 'tags/bench' FROM bench_n WHERE s % 7 = 0 AND NOT mine;

CREATE TABLE bench_o AS SELECT row_number() OVER (ORDER BY s) - 1 AS k, s, id, pub FROM bench_n WHERE mine AND vis <> 'private';
CREATE INDEX bench_o_k ON bench_o (k);

CREATE TABLE bench_x AS
SELECT 'follow' AS type, follower AS account, '' AS target, 'follow-' || (created_at / ${HOUR_MS}) AS group_key, created_at, NULL AS rid
  FROM (SELECT * FROM follows WHERE actor = '${OWNER}' ORDER BY created_at DESC LIMIT ${p.follows})
UNION ALL SELECT 'mention', author, id, NULL, pub, NULL FROM (SELECT * FROM bench_n WHERE mentions ORDER BY s DESC LIMIT ${p.mentions})
UNION ALL ${reactionNotifications({ type: "favourite", count: p.favourites, minutes: 17, first: 0, mix: [31, 977] }, p.ownerPublic)}
UNION ALL ${reactionNotifications({ type: "reblog", count: p.reblogs, minutes: 23, first: p.favourites, mix: [53, 1009] }, p.ownerPublic)};

INSERT INTO notifications (type, account, target, group_key, created_at)
SELECT type, account, target, group_key, created_at FROM bench_x ORDER BY created_at, rowid;

INSERT INTO reactions (id, type, actor, object, created_at)
SELECT '${origin}/activities/' || (((pub + 60000) << 16) | (s & 65535)), 'Like', '${OWNER}', id, pub + 60000 FROM bench_n WHERE s % 30 = 1
UNION ALL SELECT '${origin}/activities/' || (((pub + 120000) << 16) | (s & 65535)), 'Announce', '${OWNER}', id, pub + 120000 FROM bench_n WHERE s % 100 = 11
UNION ALL SELECT CASE type WHEN 'favourite' THEN account || '#likes/' || rid ELSE account || '/statuses/' || rid || '/activity' END,
  CASE type WHEN 'favourite' THEN 'Like' ELSE 'Announce' END, account, target, created_at FROM bench_x WHERE rid IS NOT NULL
ORDER BY 5;

UPDATE notes SET likes_count = (SELECT count(*) FROM reactions r WHERE r.object = notes.id AND r.type = 'Like'),
  shares_count = (SELECT count(*) FROM reactions r WHERE r.object = notes.id AND r.type = 'Announce')
WHERE id IN (SELECT object FROM reactions);

INSERT INTO outbox (id, actor, type, object_id, visibility, payload, published, fanned_out_at)
SELECT id, '${OWNER}', type, object_id, vis, payload, t, t FROM (
  SELECT id || '/activity' AS id, 'Create' AS type, id AS object_id, vis, pub AS t, json_object('id', id || '/activity', 'type', 'Create', 'actor', '${OWNER}', 'published', ${isoSql("pub")}, 'to', json(too), 'cc', json(cc),
    'object', json_object('id', id, 'type', 'Note', 'attributedTo', '${OWNER}', 'inReplyTo', NULL, 'summary', NULL, 'sensitive', json('false'), 'content', '<p>' || ${TEXT},
      'published', ${isoSql("pub")}, 'url', url, 'to', json(too), 'cc', json(cc), 'attachment', json_array(), 'tag', json_array())) AS payload
  FROM (SELECT *, CASE vis WHEN 'public' THEN json_array('${PUBLIC}') ELSE json_array('${OWNER}/followers') END AS too,
    CASE vis WHEN 'public' THEN json_array('${OWNER}/followers') WHEN 'unlisted' THEN json_array('${PUBLIC}') ELSE json_array() END AS cc FROM bench_n WHERE mine)
  UNION ALL SELECT r.id, r.type, r.object, CASE r.type WHEN 'Like' THEN 'direct' ELSE 'public' END, r.created_at, CASE r.type
    WHEN 'Like' THEN json_object('id', r.id, 'type', 'Like', 'actor', '${OWNER}', 'object', r.object, 'to', json_array(n.attributed_to))
    ELSE json_object('id', r.id, 'type', 'Announce', 'actor', '${OWNER}', 'object', r.object, 'published', ${isoSql("r.created_at")}, 'to', json_array('${PUBLIC}'), 'cc', json_array(n.attributed_to, '${OWNER}/followers')) END
  FROM reactions r JOIN notes n ON n.id = r.object WHERE r.actor = '${OWNER}'
  UNION ALL SELECT activity_id, 'Follow', actor, 'direct', created_at, json_object('id', activity_id, 'type', 'Follow', 'actor', '${OWNER}', 'object', actor, 'to', json_array(actor))
  FROM follows WHERE follower = '${OWNER}'
) ORDER BY t;

DROP TABLE bench_x;
DROP TABLE bench_o;
DROP TABLE bench_n;
`,
  };
}
