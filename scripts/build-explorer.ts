/**
 * `npm run build` step: writes the explorer page's bundle to services/discovery/dist/explorer/,
 * where compiled discovery (and the image) reads it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleExplorer } from '../services/discovery/explorer/bundle.js';

const into = fileURLToPath(new URL('../services/discovery/dist/explorer/', import.meta.url));
mkdirSync(into, { recursive: true });
const files = await bundleExplorer();
for (const [name, text] of Object.entries(files)) writeFileSync(`${into}${name}`, text);
process.stdout.write(
  `explorer bundle written to ${into}: ${Object.entries(files)
    .map(([name, text]) => `${name} ${Buffer.byteLength(text)} B`)
    .join(', ')}\n`,
);
