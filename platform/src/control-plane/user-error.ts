/** A mistake in what the user asked for, or a state they can fix: shown as is (with the fix), never with a stack. */
export class UserError extends Error {
  constructor(message: string, readonly fix?: string) {
    super(message);
  }
}
