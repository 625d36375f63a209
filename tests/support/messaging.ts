let next = 0;
/** A fresh valid US number per call (555-01xx are fictional; the 415 area keeps them valid). */
export function freshPhone(prefix = '+1415'): string {
  next += 1;
  return `${prefix}${String(2000000 + ((process.pid * 7919 + next) % 7000000)).padStart(7, '0')}`;
}
