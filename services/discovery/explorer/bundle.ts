/**
 * The explorer's static bundle: the page, one ES module (the page script with the browser SDK,
 * bundled by esbuild for the browser platform) and one stylesheet. `npm run build` writes it to
 * services/discovery/dist/explorer/ (scripts/build-explorer.ts); discovery run from its sources
 * builds it in memory at start, so a fresh clone needs no build step.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** File name → contents, as served under /explorer/. */
export type ExplorerFiles = Record<'index.html' | 'explorer.js' | 'explorer.css', string>;

const source = (name: string) => fileURLToPath(new URL(name, import.meta.url));

export async function bundleExplorer(): Promise<ExplorerFiles> {
  const result = await build({
    entryPoints: [source('./main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['browser'],
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  const script = result.outputFiles[0]?.text;
  if (script === undefined) throw new Error('esbuild produced no explorer bundle');
  return {
    'index.html': readFileSync(source('./index.html'), 'utf8'),
    'explorer.js': script,
    'explorer.css': readFileSync(source('./explorer.css'), 'utf8'),
  };
}
