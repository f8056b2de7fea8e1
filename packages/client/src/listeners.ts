/** Typed listeners: `on(name, listener)` returns the function that removes it. */
export class Listeners<Events extends { [K in keyof Events]: (argument: never) => void }> {
  readonly #listeners = new Map<keyof Events, Set<Events[keyof Events]>>();

  on<K extends keyof Events>(name: K, listener: Events[K]): () => void {
    let set = this.#listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    const listeners = set;
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  emit<K extends keyof Events>(name: K, argument: Parameters<Events[K]>[0]): void {
    for (const listener of this.#listeners.get(name) ?? [])
      (listener as (value: typeof argument) => void)(argument);
  }
}
