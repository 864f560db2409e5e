import type { Licence } from '@flotilla/platform/licence';

export const USAGE =
  'usage: sign-licence --key private.pem --licensee "Name" --node-limit N|Unlimited [--expires YYYY-MM-DD]';

export interface SignLicenceArgs {
  keyFile: string;
  licence: Licence;
}

/** Reads the command line; throws with the usage line when something is missing or unknown. */
export function parseSignLicenceArgs(argv: readonly string[]): SignLicenceArgs {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i] ?? '';
    const value = argv[i + 1];
    if (!['--key', '--licensee', '--node-limit', '--expires'].includes(flag))
      throw new Error(`unknown argument "${flag}"\n${USAGE}`);
    if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value\n${USAGE}`);
    values.set(flag, value);
  }
  const keyFile = values.get('--key');
  const licensee = values.get('--licensee');
  const nodeLimit = values.get('--node-limit');
  if (!keyFile || !licensee || !nodeLimit) throw new Error(USAGE);
  const expires = values.get('--expires');
  return {
    keyFile,
    licence: {
      licensee,
      nodeLimit: nodeLimit === 'Unlimited' ? 'Unlimited' : Number(nodeLimit),
      ...(expires ? { expires } : {}),
    },
  };
}
