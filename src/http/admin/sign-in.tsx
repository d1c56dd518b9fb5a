/**
 * Signing in to the dashboard and out of it, with the owner's password, as the consent page
 * signs in (`checkPassword`: the same secret, the same attempts limit per address) and into
 * the same session (`signIn`), whose dashboard cookie is `SameSite=Strict`.
 */
import { Hono } from "hono";
import { SignInPage } from "../../pages/admin/sign-in";
import { checkPassword } from "../oauth/password";
import { csrfToken, signedIn, signIn, signOut } from "../oauth/session";
import { type AdminEnv, checkForms } from "./guard";

/** `/admin/sign-in`: the one dashboard page anyone may open. */
export const signInRoutes = new Hono<AdminEnv>();
signInRoutes.use("*", checkForms());

signInRoutes.get("/", async (c) => {
  if (await signedIn(c, "dashboard")) return c.redirect("/admin", 303);
  return c.html(<SignInPage csrf={csrfToken(c)} />);
});

signInRoutes.post("/", async (c) => {
  const checked = await checkPassword(c, c.var.form.password);
  if (!checked.ok) {
    return c.html(<SignInPage csrf={csrfToken(c)} error={checked.message} />, checked.status);
  }
  await signIn(c, checked.password);
  return c.redirect("/admin", 303);
});

/** `POST /admin/sign-out` (signed in, with the form's token): the session ends. */
export const signOutRoutes = new Hono<AdminEnv>();

signOutRoutes.post("/", async (c) => {
  await signOut(c);
  return c.redirect("/admin/sign-in", 303);
});
