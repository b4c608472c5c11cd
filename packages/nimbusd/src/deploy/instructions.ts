/**
 * The instructions a ramdisk fetches (`GET /deploy/v1/instructions`): `key=value` lines
 * whose values the busybox agent can use unquoted, so each is checked to hold only
 * characters that are safe in a shell word.
 */
export type Instructions =
  | {
      mode: 'deploy';
      imageUrl: string;
      imageSha256: string;
      imageCompression: 'none' | 'gzip' | 'zstd';
      imageSize: number;
      targetDisk: string;
      seedUrl: string;
    }
  | { mode: 'inspect' }
  | { mode: 'wipe'; targetDisk: string; wipe: 'quick' | 'full' };

const SHELL_SAFE = /^[A-Za-z0-9._:/=+@-]+$/;

export function renderInstructions(instructions: Instructions): string {
  const pairs: [string, string | number][] = [['mode', instructions.mode]];
  if (instructions.mode === 'deploy') {
    pairs.push(
      ['image_url', instructions.imageUrl],
      ['image_sha256', instructions.imageSha256],
      ['image_compression', instructions.imageCompression],
      ['image_size', instructions.imageSize],
      ['target_disk', instructions.targetDisk],
      ['seed_url', instructions.seedUrl],
    );
  } else if (instructions.mode === 'wipe') {
    pairs.push(['target_disk', instructions.targetDisk], ['wipe', instructions.wipe]);
  }
  return pairs
    .map(([key, value]) => {
      const text = String(value);
      if (!SHELL_SAFE.test(text)) throw new Error(`instructions: ${key} ${JSON.stringify(text)} is not safe for the agent's shell`);
      return `${key}=${text}\n`;
    })
    .join('');
}
