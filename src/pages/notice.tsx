/** A page that says why there is nothing to show: no such post, a deleted one, a bad link. */
import type { Config } from "../env";
import { layout } from "./layout";

export interface NoticeProps {
  readonly config: Config;
  readonly title: string;
  readonly message: string;
}

export function noticePage(props: NoticeProps) {
  const { config } = props;
  return layout({
    title: props.title,
    noindex: true,
    body: (
      <main>
        <h1>{props.title}</h1>
        <p role="alert">{props.message}</p>
        <p>
          <a href={config.urls.owner.profile}>
            See the profile of @{config.owner.username}@{config.host}
          </a>
        </p>
      </main>
    ),
  });
}
