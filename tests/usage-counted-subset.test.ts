import { describe, expect, it } from 'vitest';
import { uniqueCountedSubset } from '../services/billing/counted-subset';

describe('which in-doubt meter events Stripe counted, from its total', () => {
  it('nothing over what we know was counted: none of them', () => {
    expect(uniqueCountedSubset([1, 2, 3], 0)).toEqual([false, false, false]);
  });

  it('all of them: every one', () => {
    expect(uniqueCountedSubset([1, 2, 3], 6)).toEqual([true, true, true]);
  });

  it('a total only one subset reaches names that subset', () => {
    expect(uniqueCountedSubset([1, 2, 4], 5)).toEqual([true, false, true]);
    expect(uniqueCountedSubset([3, 1, 1], 3)).toEqual([true, false, false]);
  });

  it('a total two subsets reach is not guessed', () => {
    expect(uniqueCountedSubset([1, 1], 1)).toBeNull();
    expect(uniqueCountedSubset([1, 2, 3], 3)).toBeNull();
  });

  it('a total no subset reaches (or beyond them all, or negative) is not guessed', () => {
    expect(uniqueCountedSubset([2, 2], 3)).toBeNull();
    expect(uniqueCountedSubset([2, 2], 5)).toBeNull();
    expect(uniqueCountedSubset([2, 2], -1)).toBeNull();
  });
});
