/**
 * Servers the tooling starts die with the process that started them, through one exit listener
 * however many there are (one listener each would trip Node's leak warning in a busy test file).
 */
const onExit = new Set<() => void>();
let listening = false;

export function killOnExit(kill: () => void): () => void {
  if (!listening) {
    listening = true;
    process.once('exit', () => {
      for (const run of onExit) run();
    });
  }
  onExit.add(kill);
  return () => onExit.delete(kill);
}
