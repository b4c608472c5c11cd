/** Writes a Provider as a provider file: smol-toml's TOML under an optional comment header. */
import type { Provider } from '@nimbus/core';
import { stringify } from 'smol-toml';

export function renderProviderToml(p: Provider, header?: string): string {
  const comment = header ? `${header.split('\n').map((l) => `# ${l}`).join('\n')}\n` : '';
  return `${comment}${stringify(p)}\n`;
}
