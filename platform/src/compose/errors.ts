import type { Warning } from './model.js';

/**
 * A problem in a compose file, located so the learner can jump to it: "services/compose.yaml:12:5: ...".
 * The first problem found is the one thrown; `problems` holds every one found in the same pass (so `tall config` can show
 * them all), and `warnings` what was gathered before it (a warning often explains the error, e.g. an ignored `extends`).
 */
export class ComposeError extends Error {
  warnings: Warning[] = [];
  problems: ComposeError[] = [this];

  constructor(
    readonly file: string,
    readonly detail: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(`${formatLocation({ file, line, column })}: ${detail}`);
  }
}

export function formatLocation(where: { file: string; line?: number; column?: number }): string {
  return `${where.file}${where.line ? `:${where.line}` : ''}${where.line && where.column ? `:${where.column}` : ''}`;
}

export function formatWarning(warning: Warning): string {
  return `${formatLocation(warning)}: ${warning.message}`;
}
