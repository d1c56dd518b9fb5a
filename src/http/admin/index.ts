/**
 * The owner's dashboard, `/admin`: server-rendered pages (hono/jsx, charts as SVG, no
 * script), behind the owner's password. Order is the guard: every answer gets the
 * dashboard's headers; the sign-in page is the one route anyone may reach; below it, every
 * route needs the session (a GET without one goes to the sign-in page, anything else is a
 * 401), and every form its CSRF token (403). `test/admin.test.ts` reads the routes from the
 * app, so one added here is checked.
 */
import { Hono } from "hono";
import { type AdminEnv, adminHeaders, checkForms, requireSession } from "./guard";
import { hosts } from "./hosts";
import { followers, overview, posts } from "./pages";
import { signInRoutes, signOutRoutes } from "./sign-in";

export const admin = new Hono<AdminEnv>();
admin.use("*", adminHeaders());
admin.route("/sign-in", signInRoutes);
// Everything below needs the owner's session, then each form its token.
admin.use("*", requireSession());
admin.use("*", checkForms());
admin.route("/sign-out", signOutRoutes);
admin.route("/hosts", hosts);
admin.route("/posts", posts);
admin.route("/followers", followers);
admin.route("/", overview);
