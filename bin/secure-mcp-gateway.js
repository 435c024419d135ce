#!/usr/bin/env node
// The installed command. The real program is the single bundled file built by `npm run build`.
import '../dist/cli.js';
