import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BlockSource, READ_CHUNK_BYTES } from './block-source.ts';
import { TftpFileChangedError } from './errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'tftp-blocks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function blocksOf(content: Buffer, blockSize: number, netascii = false): Promise<Buffer[]> {
  const path = join(dir, `f${Math.random()}`);
  writeFileSync(path, content);
  const handle = await open(path);
  try {
    const source = new BlockSource(handle, content.length, blockSize, netascii);
    const blocks: Buffer[] = [];
    while (!source.finished) blocks.push(Buffer.from(await source.next()));
    return blocks;
  } finally {
    await handle.close();
  }
}

describe('BlockSource', () => {
  it.each([
    ['empty file: one empty block', 0, 512, [0]],
    ['shorter than a block', 100, 512, [100]],
    ['exactly one block: then an empty one (RFC 1350 end of file)', 512, 512, [512, 0]],
    ['two blocks and a bit', 1100, 512, [512, 512, 76]],
    ['blocks across read chunks', READ_CHUNK_BYTES * 2 + 5, 1468, null],
  ])('%s', async (_what, size, blockSize, lengths) => {
    const content = Buffer.from(Array.from({ length: size }, (_, i) => (i * 7) & 0xff));
    const blocks = await blocksOf(content, blockSize);
    if (lengths !== null) expect(blocks.map((b) => b.length)).toEqual(lengths);
    expect(blocks.slice(0, -1).every((b) => b.length === blockSize)).toBe(true);
    expect(blocks.at(-1)!.length).toBeLessThan(blockSize);
    expect(Buffer.concat(blocks).equals(content)).toBe(true);
  });

  it('sends netascii, with line ends converted across block and chunk boundaries', async () => {
    const text = Buffer.from('line\n'.repeat(30_000) + 'cr\rend', 'latin1');
    const blocks = await blocksOf(text, 512, true);
    const expected = Buffer.from('line\r\n'.repeat(30_000) + 'cr\r\0end', 'latin1');
    expect(Buffer.concat(blocks).equals(expected)).toBe(true);
    expect(blocks.slice(0, -1).every((b) => b.length === 512)).toBe(true);
  });

  it('sends only the size fixed at the start when the file grows, and fails when it shrinks', async () => {
    const path = join(dir, 'changing');
    writeFileSync(path, Buffer.alloc(2000, 1));
    const handle = await open(path);
    try {
      const grows = new BlockSource(handle, 1000, 512, false);
      expect((await grows.next()).length).toBe(512);
      expect((await grows.next()).length).toBe(488);
      expect(grows.finished).toBe(true);

      const shrinks = new BlockSource(handle, 2000 + READ_CHUNK_BYTES, 512, false);
      truncateSync(path, 1000);
      await expect(async () => {
        while (!shrinks.finished) await shrinks.next();
      }).rejects.toThrow(TftpFileChangedError);
    } finally {
      await handle.close();
    }
  });
});
