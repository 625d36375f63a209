import { hkdfSync } from 'node:crypto';

/** Purpose-bound keys derived from MASTER_KEY, so one env secret never serves two jobs. */
export interface MasterKeys {
  wrapKey: Buffer;
  phoneHashKey: Buffer;
  /** Keys the audit log's MAC chain and its checkpoints. */
  auditMacKey: Buffer;
}

export function deriveMasterKeys(masterKeyBase64: string): MasterKeys {
  const master = Buffer.from(masterKeyBase64, 'base64');
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, 32));
  return {
    wrapKey: derive('massivesms/data-key-wrap/v1'),
    phoneHashKey: derive('massivesms/phone-hash/v1'),
    auditMacKey: derive('massivesms/audit-mac/v1'),
  };
}
