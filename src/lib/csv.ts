/**
 * CSV as RFC 4180 writes it, and as Ruby's CSV (Mastodon's exports) writes it: a field is
 * quoted when it holds a comma, a quote or a line break, its quotes doubled; rows end with
 * `\n`. Reading takes one line at a time: the files read here (lists of accounts) hold no
 * line breaks inside a field.
 */

const NEEDS_QUOTES = /[",\r\n]/;

/**
 * What a spreadsheet reads as a formula (or a command) at the start of a cell (OWASP's "CSV
 * injection"): a file written here never holds such a cell.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** Whether a cell is safe to write: a spreadsheet opening the file takes it as text. */
export function isSafeCell(value: string): boolean {
  return !FORMULA_START.test(value);
}

/** One field, quoted when it must be. */
export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One row, with its line break. */
export function csvRow(fields: readonly string[]): string {
  return `${fields.map(csvField).join(",")}\n`;
}

/** The fields of one line; undefined when its quotes are unbalanced or misplaced. */
export function parseCsvLine(line: string): string[] | undefined {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = "";
      i++;
      for (;;) {
        const close = line.indexOf('"', i);
        if (close === -1) return undefined;
        value += line.slice(i, close);
        if (line[close + 1] === '"') {
          value += '"';
          i = close + 2;
          continue;
        }
        i = close + 1;
        break;
      }
      fields.push(value);
      if (i === line.length) return fields;
      if (line[i] !== ",") return undefined;
      i++;
    } else {
      const comma = line.indexOf(",", i);
      const value = comma === -1 ? line.slice(i) : line.slice(i, comma);
      if (value.includes('"')) return undefined;
      fields.push(value);
      if (comma === -1) return fields;
      i = comma + 1;
    }
  }
}
