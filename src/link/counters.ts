/** Counters of a link to the outside world (socket, TAP). Plain numbers, read any time. */
export class LinkCounters {
  /** Frames that came in from the outside. */
  rxFrames = 0;
  /** Bytes of those frames. */
  rxBytes = 0;
  /** Frames that came in but were refused by the end plugged in (or nothing was plugged in). */
  rxDropped = 0;
  /** Frames sent to the outside. */
  txFrames = 0;
  /** Bytes of those frames. */
  txBytes = 0;
  /** Frames not sent: link closed, too long, or too much waiting to be sent. */
  txDropped = 0;
  /** I/O and protocol errors seen. */
  errors = 0;
}
