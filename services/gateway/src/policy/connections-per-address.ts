/**
 * Open connections per client address, so one address cannot take a gateway's whole capacity.
 * A slot is taken when an upgrade is accepted and given back when its socket closes.
 */
export class ConnectionsPerAddress {
  readonly #counts = new Map<string, number>();
  readonly #limit: number;

  /** `limit` 0: no limit (nothing is counted). */
  constructor(limit: number) {
    this.#limit = limit;
  }

  get limit(): number {
    return this.#limit;
  }

  /** Whether `address` is below its limit now (an early refusal; `take` decides). */
  hasRoom(address: string): boolean {
    return this.#limit === 0 || (this.#counts.get(address) ?? 0) < this.#limit;
  }

  /** Takes a slot; false when the address is at its limit. */
  take(address: string): boolean {
    if (this.#limit === 0) return true;
    const count = this.#counts.get(address) ?? 0;
    if (count >= this.#limit) return false;
    this.#counts.set(address, count + 1);
    return true;
  }

  release(address: string): void {
    if (this.#limit === 0) return;
    const count = this.#counts.get(address) ?? 0;
    if (count <= 1) this.#counts.delete(address);
    else this.#counts.set(address, count - 1);
  }
}
