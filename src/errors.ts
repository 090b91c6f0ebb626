/**
 * Errors a user can act on. The CLI prints `message` (one line, naming the file and the fix) and exits with `exitCode`;
 * anything that is not an NstError is a bug and gets a stack trace.
 */
export class NstError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = new.target.name;
  }
}

/** The user asked for something that cannot work as asked (bad option, unknown backend, missing tap). */
export class UsageError extends NstError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** A file is missing, unreadable or not in the expected format. */
export class InputError extends NstError {}

/** A backend or native component was requested but cannot be loaded here. */
export class BackendError extends NstError {}
