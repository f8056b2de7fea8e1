/**
 * `tsx scripts/assemble-runtime.ts <dir>`: writes the production layout (compiled services, their
 * manifests, the lock, the entrypoint) into <dir>; the Dockerfile's build stage runs it.
 */
import { assembleRuntimeLayout } from '@blockcast/devkit';

const into = process.argv[2];
if (into === undefined) {
  process.stderr.write('usage: tsx scripts/assemble-runtime.ts <dir>\n');
  process.exit(64);
}
assembleRuntimeLayout(into);
process.stdout.write(`runtime layout written to ${into}\n`);
