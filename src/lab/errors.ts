/**
 * The lab's errors about what it was given (a config, a data file, a checkpoint, a run folder held by another
 * process), as opposed to its own failures. The CLI maps every InvalidInputError to exit status 2, as it
 * documents for invalid input; anything else exits 1.
 */
export class InvalidInputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidInputError';
  }
}

/** A run folder another process holds (or a stale lock left by one that died). */
export class RunLockError extends InvalidInputError {
  constructor(message: string) {
    super(message);
    this.name = 'RunLockError';
  }
}

/** A checkpoint file that cannot be used: unreadable, non-finite, or not the model the run expects there. */
export class CheckpointFileError extends InvalidInputError {
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
    this.name = 'CheckpointFileError';
  }
}

/** A run folder that cannot be started or continued as asked (already holds a run; nothing to resume). */
export class RunFolderError extends InvalidInputError {
  constructor(message: string) {
    super(message);
    this.name = 'RunFolderError';
  }
}
