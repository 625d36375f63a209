import { StaffApiClient } from './api-client';
import { CliError } from './cli-error';
import { Output } from './output';
import { loadToken, tokenFilePath, type StoredStaffToken } from './token-file';

/** The options every command shares (set before or after the command name). */
export interface GlobalOptions {
  api: string;
  json?: boolean;
}

/** What a command runs with: where the API is, how to print, and the saved staff token. */
export class CliContext {
  readonly output: Output;
  readonly tokenFile = tokenFilePath();
  readonly api: string;

  constructor(options: GlobalOptions) {
    this.api = options.api.replace(/\/+$/, '');
    this.output = new Output(Boolean(options.json));
  }

  /** For sign-in: no token. */
  anonymousClient(): StaffApiClient {
    return new StaffApiClient(this.api);
  }

  /** The saved token for this API, or a clear reason there is none to use. */
  savedToken(): StoredStaffToken {
    const stored = loadToken(this.tokenFile);
    if (!stored) throw new CliError('not logged in: run `npm run staff -- login --email <you>` first');
    if (stored.api !== this.api) {
      throw new CliError(`the saved staff token is for ${stored.api}, not ${this.api}: log in there, or pass --api ${stored.api}`);
    }
    if (Date.parse(stored.expiresAt) <= Date.now()) throw new CliError(`your staff token expired at ${stored.expiresAt}: log in again`);
    return stored;
  }

  client(): StaffApiClient {
    return new StaffApiClient(this.api, this.savedToken().token);
  }
}
