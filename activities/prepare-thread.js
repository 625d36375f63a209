// Worker-thread entry: plain JS so it starts the same from dist/ (compiled sibling, plain node) and
// from sources under tsx or vitest (tsx registered here, since threads do not inherit loaders).
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const compiled = join(__dirname, 'prepare-thread-main.js');
if (existsSync(compiled)) {
  require(compiled);
} else {
  require('tsx/cjs/api').register();
  require('./prepare-thread-main.ts');
}
