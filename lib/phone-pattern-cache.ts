import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * libphonenumber-js checks validity with `matchesEntirely(text, pattern)`, which compiles
 * `new RegExp('^(?:' + pattern + ')$')` on every call: ~10 % of an import's worker CPU. The
 * patterns are the metadata's (a few thousand strings), so each is compiled once here and reused;
 * answers are unchanged. The helper is not in the package's exports map, so it is reached by path
 * in the CommonJS build every entry point we import loads (callers read its `default` at each call);
 * if a release moves or reshapes it, nothing is patched and the library works as shipped. Returns
 * the patterns compiled so far (undefined when not patched).
 */
export function cachePhonePatterns(): ReadonlyMap<string, RegExp> | undefined {
  const file = join(dirname(require.resolve('libphonenumber-js/package.json')), 'build', 'helpers', 'matchesEntirely.js');
  if (!existsSync(file)) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a path the exports map does not list
  const helper = require(file) as { default?: unknown };
  if (typeof helper.default !== 'function' || helper.default.length !== 2) return undefined;
  const compiled = new Map<string, RegExp>();
  helper.default = (text: string | undefined, pattern: string): boolean => {
    let re = compiled.get(pattern);
    if (!re) {
      re = new RegExp('^(?:' + pattern + ')$');
      compiled.set(pattern, re);
    }
    return re.test(text || '');
  };
  return compiled;
}
