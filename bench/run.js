#!/usr/bin/env node
// `npm run bench` entry. bench/ is TypeScript that is not part of the build (it measures the
// build), so it runs through tsx; the harness itself is bench/main.ts.
import { register } from "tsx/esm/api";

register();
await import("./main.ts");
