import { fileURLToPath } from 'node:url';

/** Run from source (tsx) the runner is TypeScript and needs the tsx loader; built, it is plain JS. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');

export const RUNNER_PATH = fileURLToPath(
  new URL(`./runner/plugin-runner.${FROM_SOURCE ? 'ts' : 'js'}`, import.meta.url),
);

/** Node flags for the runner: the tsx loader from source, else the host's `--conditions` (blockcast-dist). */
export function runnerExecArgv(hostExecArgv: readonly string[] = process.execArgv): string[] {
  if (FROM_SOURCE) return ['--import', 'tsx'];
  const kept: string[] = [];
  hostExecArgv.forEach((arg, index) => {
    if (arg.startsWith('--conditions=') || arg.startsWith('-C=')) kept.push(arg);
    else if ((arg === '--conditions' || arg === '-C') && hostExecArgv[index + 1] !== undefined)
      kept.push(arg, hostExecArgv[index + 1]!);
  });
  return kept;
}
