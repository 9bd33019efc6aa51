/**
 * A device model's protocol error: a driver did something the spec or datasheet forbids. It names the
 * rule and the section. Raised in strict mode; counted otherwise.
 */
export class ModelError extends Error {
  constructor(
    /** The device ("virtio-net", "82599", "gem"). */
    readonly device: string,
    /** What rule was broken, in words. */
    readonly rule: string,
    /** Where the rule is written ("virtio 1.2 2.7.13", "82599 datasheet 7.2.3.2"). */
    readonly section: string,
  ) {
    super(`${device}: ${rule} (${section})`);
    this.name = "ModelError";
  }
}

/** How a device model treats driver mistakes and whether it misbehaves on purpose. */
export interface ModelMode {
  /** Throw {@link ModelError} on a protocol violation (else count it in `violations`). Default true. */
  strict: boolean;
  /** Write back bogus completions (ids, lengths, status bits) to test driver hardening. Default false. */
  hostile: boolean;
}

/** Strictness bookkeeping a model embeds: raise or count. */
export class ProtocolChecker {
  /** Violations seen while not strict. */
  violations = 0;
  /** The last violation seen. */
  last: ModelError | undefined;

  constructor(
    readonly device: string,
    public strict = true,
  ) {}

  /** Reports a violation of `rule` (spec `section`): throws in strict mode, counts otherwise. */
  violation(rule: string, section: string): void {
    const e = new ModelError(this.device, rule, section);
    this.last = e;
    if (this.strict) throw e;
    this.violations++;
  }
}
