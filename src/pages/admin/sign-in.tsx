/** `/admin/sign-in`: the owner's password, and nothing else to see. */
import { Csrf, Document } from "./layout";

export interface SignInProps {
  readonly csrf: string;
  readonly error?: string;
}

export function SignInPage(props: SignInProps) {
  return (
    <Document title="Sign in">
      <main>
        <h1>Outpost dashboard</h1>
        {props.error === undefined ? null : <p role="alert">{props.error}</p>}
        <form class="sign-in" method="post" action="/admin/sign-in">
          <Csrf token={props.csrf} />
          <label>
            Password{" "}
            <input type="password" name="password" autocomplete="current-password" required />
          </label>
          <button type="submit">Sign in</button>
        </form>
      </main>
    </Document>
  );
}
