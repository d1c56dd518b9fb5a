/**
 * The dashboard's page shell: its style sheet, the navigation and the sign-out form. Every
 * page is whole without script; forms carry the CSRF token of the page.
 */
import type { Child } from "hono/jsx";
import { raw } from "hono/utils/html";
import { ADMIN_STYLE } from "./style";

export type Section = "overview" | "hosts" | "posts" | "followers";

const SECTIONS: readonly { readonly id: Section; readonly href: string; readonly label: string }[] =
  [
    { id: "overview", href: "/admin", label: "Delivery" },
    { id: "hosts", href: "/admin/hosts", label: "Hosts" },
    { id: "posts", href: "/admin/posts", label: "Posts" },
    { id: "followers", href: "/admin/followers", label: "Followers" },
  ];

/** A form's hidden CSRF token (double submit: the same value as the page's cookie). */
export function Csrf(props: { readonly token: string }) {
  return <input type="hidden" name="csrf_token" value={props.token} />;
}

export function Document(props: { readonly title: string; readonly children: Child }) {
  return (
    <>
      {raw("<!doctype html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="robots" content="noindex" />
          <title>{props.title} · Outpost</title>
          <style dangerouslySetInnerHTML={{ __html: ADMIN_STYLE }} />
        </head>
        <body>{props.children}</body>
      </html>
    </>
  );
}

export interface AdminPageProps {
  readonly title: string;
  readonly section: Section;
  readonly csrf: string;
  readonly children: Child;
}

/** A signed-in page: navigation, sign-out, then the page. */
export function AdminPage(props: AdminPageProps) {
  return (
    <Document title={props.title}>
      <header>
        <strong>Outpost</strong>
        <nav>
          {SECTIONS.map((s) => (
            <a href={s.href} aria-current={s.id === props.section ? "page" : undefined}>
              {s.label}
            </a>
          ))}
        </nav>
        <form class="inline" method="post" action="/admin/sign-out">
          <Csrf token={props.csrf} />
          <button type="submit">Sign out</button>
        </form>
      </header>
      <main>
        <h1>{props.title}</h1>
        {props.children}
      </main>
    </Document>
  );
}

/** A page that says why nothing was done (a refused form). */
export function ProblemPage(props: { readonly title: string; readonly message: string }) {
  return (
    <Document title={props.title}>
      <main>
        <h1>{props.title}</h1>
        <p role="alert">{props.message}</p>
        <p>
          <a href="/admin">Back to the dashboard</a>
        </p>
      </main>
    </Document>
  );
}
