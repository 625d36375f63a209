// Worker-thread entry: plain JS so it starts the same under tsx, vitest or a plain node process.
require('tsx/cjs/api').register();
require('./prepare-thread-main.ts');
