#!/usr/bin/env node
// The `blockcast` command: the CLI runs from its TypeScript source through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
