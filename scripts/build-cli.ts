/**
 * The `blockcast` command as one ES module, packages/client/dist/blockcast.js: the CLI and the
 * SDK and protocol code it uses, bundled by esbuild, with `ws` (a dependency of the package) left
 * to the install. `npm pack` in packages/client runs this (prepack), so the package installs and
 * runs on its own, without tsx or the workspace. In the repository the bin runs the sources.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const client = (path: string) => fileURLToPath(new URL(`../packages/client/${path}`, import.meta.url));

const outfile = client('dist/blockcast.js');
await build({
  entryPoints: [client('src/cli/main.ts')],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['ws'],
  logLevel: 'warning',
});
process.stdout.write(`blockcast CLI bundle written to ${outfile}\n`);
