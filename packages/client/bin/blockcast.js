#!/usr/bin/env node
// The `blockcast` command. In the repository it runs the TypeScript sources through tsx's loader;
// installed from the package (no sources there) it runs the bundle `npm pack` built.
import { existsSync } from 'node:fs';

const sources = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(sources)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(sources.href);
} else {
  await import('../dist/blockcast.js');
}
