/**
 * `tsx scripts/assemble-runtime.ts <dir>`: builds the production layout (compiled services, their
 * manifests, the lock, the entrypoint, production dependencies only) into <dir>; the Dockerfile's
 * build stage runs it, after `npm run build`.
 */
import { buildRuntimeLayout } from '@blockcast/devkit';

const into = process.argv[2];
if (into === undefined) {
  process.stderr.write('usage: tsx scripts/assemble-runtime.ts <dir>\n');
  process.exit(64);
}
await buildRuntimeLayout(into);
process.stdout.write(`runtime layout written to ${into}\n`);
