#!/usr/bin/env node
// `pulse` entry point: loads TypeScript through tsx (resolved from this repository, so it works from any
// working directory) and runs app/cli.ts in this same process.
import { register } from 'tsx/esm/api';

register();
const { main } = await import(new URL('../app/cli.ts', import.meta.url).href);
process.exitCode = await main(process.argv.slice(2));
