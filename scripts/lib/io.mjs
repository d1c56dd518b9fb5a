/**
 * The scripts' terminal: lines out, failures to stderr, and questions (node:readline) only
 * when there is a terminal to answer them. Tests pass their own.
 */
import { createInterface } from "node:readline/promises";

/** @returns {import("./io.d.mts").Io} */
export function consoleIo() {
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    ask: interactive ? ask : undefined,
  };
}

async function ask(question, fallback) {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(fallback ? `${question} [${fallback}] ` : `${question} `);
    return answer.trim() === "" ? (fallback ?? "") : answer.trim();
  } finally {
    rl.close();
  }
}
