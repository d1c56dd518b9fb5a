import { env } from "cloudflare:test";
import { and, eq, sql } from "drizzle-orm";
import { type AnySQLiteColumn, alias } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import { createDb } from "./db";
import { frozen, frozenBy, prerendered, prerenderedOnce } from "./frozen";
import { muteInForce, nowForMutes } from "./safety";
import { actors, follows, mutes, notes } from "./schema";

const writer = alias(actors, "writer");

/** Columns of an alias and literals of ours, as the status rows' accounts are made. */
type Named = {
  readonly seq: AnySQLiteColumn;
  readonly id: AnySQLiteColumn;
  readonly name: AnySQLiteColumn;
};
const accountOf = (a: Named) =>
  sql`iif(${a.seq} is null, null, json_object('id', ${a.id}, ${sql.raw("'name'")}, ${a.name}))`;

/** The same query around a fragment: a parameter before it and one after. */
const queryWith = (fragment: ReturnType<typeof accountOf>) =>
  createDb(env.DB)
    .select({ id: notes.id, account: fragment.as("account") })
    .from(notes)
    .leftJoin(writer, eq(writer.id, notes.attributedTo))
    .where(and(eq(notes.visibility, "public"), sql`${notes.content} <> ${"before"}`))
    .orderBy(notes.seq)
    .limit(3);

describe("fragments rendered once", () => {
  it("render as drizzle renders them in the query, the query's parameters bound in order", () => {
    const walked = queryWith(accountOf(writer)).toSQL();
    const rendered = queryWith(frozen(accountOf(writer))).toSQL();
    expect(rendered).toEqual(walked);
    expect(rendered.sql).toContain(`json_object('id', "writer"."id", 'name', "writer"."name")`);
    expect(rendered.params).toEqual(["public", "before", 3]);
  });

  it("refuse a fragment that binds a parameter, which the text would lose", () => {
    expect(() => frozen(sql`${notes.id} = ${"x"}`)).toThrow(/binds nothing/);
  });

  it("are rendered once a table, each alias with its own name", () => {
    const other = alias(actors, "other");
    const account = frozenBy(accountOf);
    expect(account(writer)).toBe(account(writer));
    const [mine, theirs] = [writer, other].map(
      (a) =>
        createDb(env.DB)
          .select({ x: account(a) })
          .from(a)
          .toSQL().sql,
    );
    expect(mine).toContain(`"writer"."id"`);
    expect(theirs).toContain(`"other"."id"`);
    expect(theirs).not.toContain(`"writer"`);
  });

  it("with holes, bind each use's values where drizzle binds them, beside the fragment's own", () => {
    const condition = (
      owner: string | ReturnType<typeof sql.placeholder>,
      now: Date | ReturnType<typeof sql.placeholder>,
    ) =>
      sql`${and(eq(follows.follower, owner), eq(follows.state, "accepted"), muteInForce(now), sql`${notes.attributedTo} <> ${owner}`)}`;
    const render = prerendered(["owner", "now"], (h) => condition(h.owner, h.now));
    const now = new Date("2026-12-03T10:00:00Z");
    const select = (where: ReturnType<typeof condition>) =>
      createDb(env.DB).select({ id: notes.id }).from(notes).where(where).limit(2).toSQL();
    for (const owner of ["https://a.example/users/one", "https://b.example/users/two"]) {
      const built = select(condition(owner, now));
      expect(select(render({ owner, now: nowForMutes(now) }))).toEqual(built);
      expect(built.params).toEqual([owner, "accepted", now.getTime(), owner, 2]);
    }
  });

  it("with holes, refuse a use that leaves one empty", () => {
    const render = prerendered(["owner"], (h) => sql`${notes.attributedTo} = ${h.owner}`);
    expect(() => render({} as { owner: string })).toThrow(/no value for the hole owner/);
  });

  it("with holes, refuse what would bind wrongly: a stray mark, a hole in an encoder's Param, a hole left out", () => {
    expect(() =>
      prerendered(
        ["owner"],
        (h) =>
          sql`${notes.content} <> ${sql.raw("'\uE0000\uE001'")} and ${notes.attributedTo} = ${h.owner}`,
      ),
    ).toThrow(/stray mark/);
    expect(() =>
      prerendered(["now"], (h) => sql`${mutes.expiresAt} > ${sql.param(h.now, mutes.expiresAt)}`),
    ).toThrow(/not a value/);
    expect(() =>
      prerendered(["owner", "now"], (h) => sql`${notes.attributedTo} = ${h.owner}`),
    ).toThrow(/leaves out: now/);
  });

  it("rendered on first use, bind each later use's own values", () => {
    const render = prerenderedOnce(
      ["owner"],
      (db: ReturnType<typeof createDb>, h) =>
        sql`${notes.attributedTo} = ${h.owner} and exists (${db.select({ one: sql`1` }).from(follows).where(eq(follows.actor, h.owner))})`,
    );
    const db = createDb(env.DB);
    const params = (owner: string) =>
      db.select({ id: notes.id }).from(notes).where(render(db, { owner })).toSQL().params;
    expect(params("https://a.example/users/one")).toEqual([
      "https://a.example/users/one",
      "https://a.example/users/one",
    ]);
    expect(params("https://b.example/users/two")).toEqual([
      "https://b.example/users/two",
      "https://b.example/users/two",
    ]);
  });
});
