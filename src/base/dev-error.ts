/** The kinds of device error, as `axdriver_base::DevError`. */
export const DevErrorKind = {
  AlreadyExists: "AlreadyExists",
  Again: "Again",
  BadState: "BadState",
  InvalidParam: "InvalidParam",
  Io: "Io",
  NoMemory: "NoMemory",
  ResourceBusy: "ResourceBusy",
  Unsupported: "Unsupported",
} as const;

/** One of the {@link DevErrorKind} values. */
export type DevErrorKind = (typeof DevErrorKind)[keyof typeof DevErrorKind];

const MESSAGES: Record<DevErrorKind, string> = {
  AlreadyExists: "Entity already exists",
  Again: "Try again",
  BadState: "Bad state",
  InvalidParam: "Invalid parameter",
  Io: "Input/output error",
  NoMemory: "Not enough memory",
  ResourceBusy: "Resource is busy",
  Unsupported: "Unsupported operation",
};

/**
 * A device error. Device operations return it as a value ({@link DevResult}); it is an `Error` so that
 * callers who prefer exceptions can `throw` it ({@link unwrap}).
 *
 * One shared instance per kind exists ({@link DevError.Again} etc.), so returning an error on a hot path
 * allocates nothing. {@link DevError.withDetail} makes a fresh instance carrying a detail string, for
 * the slow paths where the reason matters (probe, bring-up, misuse).
 */
export class DevError extends Error {
  /** The error kind. */
  readonly kind: DevErrorKind;
  /** Extra detail (empty for the shared instances). */
  readonly detail: string;

  private constructor(kind: DevErrorKind, detail: string) {
    super(detail ? `${MESSAGES[kind]}: ${detail}` : MESSAGES[kind]);
    this.name = "DevError";
    this.kind = kind;
    this.detail = detail;
  }

  /** The standard message of a kind ("Try again", "Bad state", ...). */
  static messageOf(kind: DevErrorKind): string {
    return MESSAGES[kind];
  }

  /** A new error of `kind` whose message carries `detail`. */
  static withDetail(kind: DevErrorKind, detail: string): DevError {
    return new DevError(kind, detail);
  }

  /** The shared, detail-less error of `kind`. */
  static of(kind: DevErrorKind): DevError {
    return SHARED[kind];
  }

  /** An entity (device, buffer, ...) already exists. */
  static readonly AlreadyExists: DevError = new DevError("AlreadyExists", "");
  /** Try again, for non-blocking APIs. */
  static readonly Again: DevError = new DevError("Again", "");
  /** Bad internal state. */
  static readonly BadState: DevError = new DevError("BadState", "");
  /** Invalid parameter/argument. */
  static readonly InvalidParam: DevError = new DevError("InvalidParam", "");
  /** Input/output error. */
  static readonly Io: DevError = new DevError("Io", "");
  /** Not enough space/cannot allocate memory (DMA). */
  static readonly NoMemory: DevError = new DevError("NoMemory", "");
  /** Device or resource is busy. */
  static readonly ResourceBusy: DevError = new DevError("ResourceBusy", "");
  /** This operation is unsupported or unimplemented. */
  static readonly Unsupported: DevError = new DevError("Unsupported", "");

  /** The standard message of this error's kind, without detail. */
  get kindMessage(): string {
    return MESSAGES[this.kind];
  }
}

const SHARED: Record<DevErrorKind, DevError> = {
  AlreadyExists: DevError.AlreadyExists,
  Again: DevError.Again,
  BadState: DevError.BadState,
  InvalidParam: DevError.InvalidParam,
  Io: DevError.Io,
  NoMemory: DevError.NoMemory,
  ResourceBusy: DevError.ResourceBusy,
  Unsupported: DevError.Unsupported,
};

/** A device operation's result: the value, or the {@link DevError} that stopped it. */
export type DevResult<T = void> = T | DevError;

/** True when `r` is an error. */
export function isDevError(r: unknown): r is DevError {
  return r instanceof DevError;
}

/** True when `r` is a value, not an error. */
export function isOk<T>(r: DevResult<T>): r is T {
  return !(r instanceof DevError);
}

/** True when `r` is an error of `kind`. */
export function isErrorKind(r: unknown, kind: DevErrorKind): r is DevError {
  return r instanceof DevError && r.kind === kind;
}

/** The value of `r`, or throws its error. For tests, tools and slow paths, never the data path. */
export function unwrap<T>(r: DevResult<T>): T {
  if (r instanceof DevError) throw r;
  return r;
}
