/** Reading a valibot failure the way a person would say it: the first problem, and where. */
import type * as v from "valibot";

export interface FirstIssue {
  /** The keys from the input's top to the value at fault; empty for the input itself. */
  readonly path: readonly string[];
  readonly message: string;
  /** The value was not given at all. */
  readonly missing: boolean;
}

export function firstIssue(issues: readonly v.BaseIssue<unknown>[]): FirstIssue {
  const issue = issues[0];
  return {
    path: issue?.path?.map((p) => String(p.key)) ?? [],
    message: issue?.message ?? "is invalid",
    missing: issue?.input === undefined,
  };
}
