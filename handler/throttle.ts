/**
 * One event per key per window: for reports that a misbehaving peer could otherwise repeat many
 * times a second (every request of a frontend of another protocol version).
 */
export class Throttle {
  private readonly seen = new Map<string, { at: number; held: number }>();

  constructor(
    private readonly windowMs: number,
    /** Keys remembered at most; the oldest is forgotten first, so memory stays bounded. */
    private readonly maxKeys = 1024,
  ) {}

  /**
   * -1: hold this event back (its key passed less than a window ago). Otherwise let it through;
   * the value is how many events of this key were held back since the last one let through.
   */
  pass(key: string, now = Date.now()): number {
    const entry = this.seen.get(key);
    if (entry !== undefined && now - entry.at < this.windowMs) {
      entry.held++;
      return -1;
    }
    const held = entry?.held ?? 0;
    this.seen.delete(key);
    this.seen.set(key, { at: now, held: 0 });
    if (this.seen.size > this.maxKeys) this.seen.delete(this.seen.keys().next().value!);
    return held;
  }
}
