/**
 * The runner's errors, each with a stable code and its context in fields.
 * A CaseFailure ends one test case; the others are the runner's own problems.
 */

export class RunnerError extends Error {
  readonly code: string = 'EZDTM';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad command line: the CLI prints it with the usage hint and exits 2. */
export class RunnerUsageError extends RunnerError {
  override readonly code = 'EZDTMUSAGE';
}

/** A zdtm/static/NAME.json that cannot be used. */
export class MetadataError extends RunnerError {
  override readonly code = 'EZDTMMETA';
  constructor(readonly file: string, readonly problem: string) {
    super(`${file}: ${problem}`);
  }
}

/** A log worth showing with a failure: what it is and where it lies. */
export interface LogRef {
  label: string;
  path: string;
}

/**
 * One test case failed at a named step. `reason` is the one-line verdict (junit, summary);
 * `details` holds what explains it (differences, log excerpts), and `logs` the files to keep.
 */
export class CaseFailure extends RunnerError {
  override readonly code = 'EZDTMFAIL';
  constructor(
    readonly step: string,
    readonly reason: string,
    readonly details: string[] = [],
    readonly logs: LogRef[] = [],
  ) {
    super(`${step}: ${reason}`);
  }
}

/** A test case cannot run here: not a failure. */
export class CaseSkip extends RunnerError {
  override readonly code = 'EZDTMSKIP';
  constructor(readonly reason: string) {
    super(reason);
  }
}
