/** Output helpers: every verb prints for people by default and JSON with --json. */
import { formatWarning } from '../compose/errors.js';
import type { Warning } from '../compose/model.js';

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (text: string) => (useColor ? `\u001b[${code}m${text}\u001b[0m` : text);

export const color = { enabled: Boolean(useColor), green: paint(32), red: paint(31), yellow: paint(33), dim: paint(2), bold: paint(1), cyan: paint(36) };

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => stripAnsi(row[column] ?? '').length)));
  return rows.map((row) => row.map((cell, column) => cell + ' '.repeat(widths[column]! - stripAnsi(cell).length)).join('  ').trimEnd()).join('\n');
}

function stripAnsi(text: string): string {
  return text.replace(/\u001b\[\d+m/g, '');
}

/** An error meant for the user: printed as "error: …" plus what to do, exit code 1 (2 for usage errors). */
export class CliError extends Error {
  constructor(message: string, readonly fix?: string, readonly exitCode = 1) {
    super(message);
  }
}

/** Writes to stdout and waits while the reader is behind, so streaming a large file never piles up in memory. */
export async function writeOut(text: string): Promise<void> {
  if (!process.stdout.write(text)) await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
}

/** Compose file warnings, on stderr, located: "warning: services/compose.yaml:12:5: …". */
export function printWarnings(warnings: Warning[]): void {
  for (const warning of warnings) console.error(color.yellow(`warning: ${formatWarning(warning)}`));
}
