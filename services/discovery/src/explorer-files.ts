import { readFileSync } from 'node:fs';

/**
 * The explorer page's static bundle (services/discovery/explorer/), file name → contents. Compiled
 * discovery reads what `npm run build` wrote beside it (dist/explorer/); run from its sources
 * (`npm start`, tests) it bundles them in memory with esbuild, a devDependency, so a fresh clone
 * needs no build step and an edited page is served as edited.
 */
export const EXPLORER_FILES = ['index.html', 'explorer.js', 'explorer.css'] as const;
export type ExplorerFile = (typeof EXPLORER_FILES)[number];
export type ExplorerFiles = Record<ExplorerFile, string>;

let loaded: Promise<ExplorerFiles> | undefined;

/** Once per process, on the first request for the page: discovery's other tests and users pay nothing. */
export function loadExplorerFiles(): Promise<ExplorerFiles> {
  loaded ??= load();
  return loaded;
}

async function load(): Promise<ExplorerFiles> {
  if (import.meta.url.endsWith('.ts')) {
    // A computed specifier: tsc leaves the bundler (and esbuild) out of the compiled service.
    const bundler = new URL('../explorer/bundle.ts', import.meta.url).href;
    const { bundleExplorer } = (await import(bundler)) as { bundleExplorer(): Promise<ExplorerFiles> };
    return bundleExplorer();
  }
  const read = (name: ExplorerFile) => {
    try {
      return readFileSync(new URL(`./explorer/${name}`, import.meta.url), 'utf8');
    } catch (error) {
      throw new Error(`the explorer bundle is missing (${name}); npm run build writes it`, { cause: error });
    }
  };
  return Object.fromEntries(EXPLORER_FILES.map((name) => [name, read(name)])) as ExplorerFiles;
}
