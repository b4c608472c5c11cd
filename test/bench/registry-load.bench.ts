/**
 * Registry load: 10,000 provider files (100,000 machine classes) in a real Git
 * registry. Measures, side by side in one process:
 *  - the cold first sync (clone, parse and validate every file, write the parse index),
 *    and within it reading, parsing and validating every file alone;
 *  - a re-sync after one provider file changed upstream (fetch, diff, re-parse one
 *    file), against the reference: re-reading and re-parsing every file after the same fetch;
 *  - reading the merged catalog from the parse index, which every command pays.
 * Goals: cold load ≤ 2 s, re-sync after one change ≤ 100 ms.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Provider } from '../../packages/core/src/index.ts';
import { readCatalog } from '../../packages/nimbusctl/src/registry/catalog.ts';
import { clonePath, syncRegistry } from '../../packages/nimbusctl/src/registry/git-registry.ts';
import { providerTree, treeSources } from '../../packages/nimbusctl/src/registry/git-objects.ts';
import { parseSources } from '../../packages/nimbusctl/src/registry/parse-parallel.ts';
import { markdownTable, ms, type BenchSection } from './report.ts';
import { generateSyntheticRegistry, providerToToml, writeSyntheticRegistry } from './synthetic-registry.ts';

const PROVIDERS = 10_000;
const MACHINE_CLASSES = 100_000;
/** Re-sync rounds; each pushes one changed file first. */
const RESYNC_ROUNDS = 7;

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@nimbus.example', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

async function time<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

/** Reads every provider file of the cache's current commit from Git and parses it: a full, non-incremental load. */
async function parseWholeTree(dir: string, commit: string): Promise<number> {
  const entries = await providerTree(dir, commit);
  const parsed = await parseSources(treeSources(dir, entries));
  const broken = parsed.find((p) => p.provider === null);
  if (broken) throw new Error(`synthetic registry has problems, first: ${broken.problems}`);
  return parsed.length;
}

/**
 * Writes the synthetic registry and keeps only the providers the re-sync rounds will
 * change: the rest is garbage before anything is timed, so the timed process is the
 * size a real nimbusctl process is (a large heap makes every git spawn slower).
 */
async function writeRegistry(dir: string): Promise<{ bytes: number; toChange: Provider[] }> {
  const providers = generateSyntheticRegistry({ providers: PROVIDERS, machineClasses: MACHINE_CLASSES, seed: 7 });
  const { bytes } = await writeSyntheticRegistry(dir, providers);
  return { bytes, toChange: Array.from({ length: RESYNC_ROUNDS }, (_, i) => providers[i * 997]!) };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(): Promise<BenchSection> {
  const root = mkdtempSync(join(tmpdir(), 'nimbus-bench-registry-'));
  try {
    const work = join(root, 'work');
    const bare = join(root, 'registry.git');
    const cacheDir = join(root, 'cache');
    const { bytes, toChange } = await writeRegistry(work);
    git(root, 'init', '-q', '-b', 'main', work);
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '-m', 'synthetic providers');
    git(root, 'clone', '-q', '--bare', work, bare);
    git(work, 'remote', 'add', 'origin', bare);
    const ref = { name: 'bench', url: bare };
    const config = { registries: [ref], placement: { rates: {} } };

    const [cold, coldMs] = await time(() => syncRegistry(ref, cacheDir));
    if (cold.reparsed.length !== PROVIDERS) throw new Error(`cold sync parsed ${cold.reparsed.length} files`);
    // The read + parse + validate share of the cold sync, on the same (now warm) clone.
    const [, parseMs] = await time(() => parseWholeTree(clonePath(cacheDir, 'bench'), cold.commit));

    const incremental: number[] = [];
    const reference: number[] = [];
    for (let round = 0; round < RESYNC_ROUNDS; round++) {
      const changed = { ...toChange[round]!, name: `Changed provider, round ${round}` };
      writeFileSync(join(work, 'providers', `${changed.id}.toml`), providerToToml(changed));
      git(work, 'commit', '-q', '-am', `round ${round}`);
      git(work, 'push', '-q', 'origin', 'main');
      const [result, resyncMs] = await time(() => syncRegistry(ref, cacheDir));
      if (result.status !== 'updated' || result.reparsed.length !== 1) throw new Error(`re-sync: ${JSON.stringify(result)}`);
      incremental.push(resyncMs);
      const [, fullMs] = await time(() => parseWholeTree(clonePath(cacheDir, 'bench'), result.commit));
      reference.push(fullMs);
    }
    const [catalog, catalogMs] = await time(() => readCatalog(config, cacheDir));
    if (catalog.providers.length !== PROVIDERS) throw new Error(`catalog has ${catalog.providers.length} providers`);
    const resync = median(incremental);
    const full = median(reference);

    const rows = [
      ['cold load: read + parse + validate all 10,000 files from the clone', ms(parseMs, 0), '≤ 2000 ms', parseMs <= 2000 ? 'met' : 'missed'],
      ['first sync in all: clone + cold load + write the parse index', ms(coldMs, 0), '', ''],
      ['re-sync after 1 file changed (incremental)', ms(resync), '≤ 100 ms', resync <= 100 ? 'met' : 'missed'],
      ['  reference: full re-parse after the same fetch', ms(full, 0), '', `incremental is ${(full / resync).toFixed(1)}× faster`],
      ['read the catalog from the parse index', ms(catalogMs, 0), '', ''],
    ];
    return {
      title: 'Registry load',
      markdown: [
        `${PROVIDERS.toLocaleString('en')} provider files, ${MACHINE_CLASSES.toLocaleString('en')} machine classes, ${(bytes / 2 ** 20).toFixed(1)} MiB of TOML, in a bare Git repository on local disk. Re-sync figures are the median of ${RESYNC_ROUNDS} rounds, each after one pushed change.`,
        '',
        markdownTable(['what', 'time', 'goal', ''], rows),
      ].join('\n'),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log((await run()).markdown);
