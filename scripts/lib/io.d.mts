/** The scripts' terminal. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Asks a question; undefined when there is no terminal to answer it. */
  ask?: (question: string, fallback?: string) => Promise<string>;
}
export function consoleIo(): Io;
