import { describe, expect, it } from 'vitest';
import { AppliedPrefix } from '../services/imports/applied-prefix';

describe('the chunk an import activity resumes from', () => {
  it('is the first chunk not applied, whatever order chunks complete in', () => {
    const prefix = new AppliedPrefix(10, [12]); // 12 was applied by an earlier attempt
    expect(prefix.nextChunk).toBe(10);
    expect(prefix.add(11)).toBe(10); // 10 is still in flight: resuming at 12 would skip it
    expect(prefix.add(14)).toBe(10);
    expect(prefix.add(10)).toBe(13);
    expect(prefix.add(13)).toBe(15);
  });

  it('starts past chunks an earlier attempt applied', () => {
    expect(new AppliedPrefix(3, [3, 4, 6]).nextChunk).toBe(5);
  });
});
