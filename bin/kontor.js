#!/usr/bin/env node
// The `kontor` command line. Node 24 runs the TypeScript sources directly (type stripping).
import "../cli/main.ts";
