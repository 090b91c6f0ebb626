#!/usr/bin/env node
'use strict';
// Before anything else is loaded: this may restart the process once with huge pages (src/backend/native/huge-pages.ts),
// depending on the command.
require('../dist/src/backend/native/huge-pages.js').restartWithHugePages(process.argv[2]);
require('../dist/src/cli/main.js').main(process.argv.slice(2));
