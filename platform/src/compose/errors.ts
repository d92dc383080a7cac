/** A problem in a compose file, located so the learner can jump to it: "services/compose.yaml:12:5: ...". */
export class ComposeError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(`${file}${line ? `:${line}` : ''}${line && column ? `:${column}` : ''}: ${detail}`);
  }
}
