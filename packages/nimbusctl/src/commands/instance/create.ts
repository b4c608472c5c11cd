import { randomUUID } from 'node:crypto';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.ts';
import { NoCandidateError } from '../../errors.ts';
import { planPlacement, type Plan } from '../../plan/plan.ts';
import { requestFromFlags } from '../../plan/request-from-flags.ts';
import { renderAssignments, renderCandidates, renderExplanation } from '../../plan/render-plan.ts';
import { describeConflict, loadCatalog } from '../../registry/catalog.ts';
import { connector, openBook, showsProgress, timeoutFlag } from '../../instances/cli-support.ts';
import { createInstances, preferredCandidates, type Attempt, type CreateCandidate } from '../../instances/create.ts';
import { CreateFailedError } from '../../instances/errors.ts';
import { followInstances, formatElapsed, StepTracker } from '../../instances/follow.ts';
import { readIdentity, resolveUserKeys } from '../../instances/keys.ts';
import type { ProviderSession } from '../../instances/provider-api.ts';
import { endpointOf, DEFAULT_CONNECT_TIMEOUT_MS } from '../../instances/targets.ts';
import { requestForProvider } from '../../instances/request.ts';
import PlanCommand from '../plan.ts';

/** One instance of the run, as `--json` gives it. */
export interface CreatedInstanceResult {
  id: string;
  name?: string;
  providerId: string;
  classId: string;
  state: string;
  address: string | null;
  sshUser: string | null;
  /** How following ended: deployed, failed, timeout…; `detached` after Ctrl-C, null with --no-wait. */
  outcome: string | null;
  error: string | null;
}

export interface InstanceCreateResult {
  dryRun: boolean;
  plan?: Plan;
  instances: CreatedInstanceResult[];
  /** Every candidate tried, in order, and what came of it. */
  attempts: Attempt[];
  /** How many of --count no candidate took. */
  notCreated: number;
  detached: boolean;
}

const { image: _image, explain: _explain, ...placementFlags } = PlanCommand.flags;

export default class InstanceCreate extends BaseCommand<InstanceCreateResult> {
  static override summary = 'Find a machine in the registry, have its provider install an OS with your SSH key, and follow the deploy.';
  static override description =
    'Places the request over the synced registries (as `plan` does), then tries the candidates best first: it connects to the provider\'s nimbusd with the host key pinned from the registry (a different key is refused), asks for its live capacity, and creates the instance with an idempotency key. A provider that is unreachable, refuses your key or has no machine free is passed over, and the next candidate tried. On a terminal it shows each deploy phase as it passes; Ctrl-C detaches without cancelling (reattach with `instance watch`).';
  static override examples = [
    '<%= config.bin %> instance create --image debian-12 --cores 16 --memory 64',
    '<%= config.bin %> instance create --image debian-12 --provider fra1 --name web-1 --ssh-key ~/.ssh/work.pub',
    '<%= config.bin %> instance create --image debian-12 --count 3 --json',
  ];
  static override flags = {
    ...placementFlags,
    image: Flags.string({ required: true, description: 'The OS image to install (one the provider offers).' }),
    'ssh-key': Flags.string({ description: 'Public key to put on the instance (default ~/.ssh/id_ed25519.pub, then ~/.ssh/id_rsa.pub).' }),
    identity: Flags.string({ description: "Private key to authenticate to the provider with (default: the --ssh-key's private half)." }),
    name: Flags.string({ description: 'Hostname of the instance (with --count, NAME-1, NAME-2, …).' }),
    'dry-run': Flags.boolean({ description: 'Only show where the request would go (as `plan`); create nothing.' }),
    explain: Flags.boolean({ description: 'With --dry-run, or when nothing matches: every rejected machine class and why.' }),
    wait: Flags.boolean({ default: true, allowNo: true, description: 'Follow the deploy until the instance is up (--no-wait: return once created).' }),
    timeout: timeoutFlag(DEFAULT_CONNECT_TIMEOUT_MS),
  };

  async run(): Promise<InstanceCreateResult> {
    const { flags } = await this.parse(InstanceCreate);
    const config = await this.loadConfig();
    const catalog = loadCatalog(config, this.paths.registryCacheDir);
    for (const conflict of catalog.conflicts) this.note(describeConflict(conflict));
    const request = requestFromFlags({ ...flags, explain: true });
    const plan = planPlacement(catalog, config, request);
    const { result } = plan;

    if (flags['dry-run']) {
      if (!this.jsonEnabled()) {
        this.log(renderCandidates(result));
        this.log('');
        this.log(renderAssignments(result, flags.count));
        if (flags.explain) this.log(`\n${renderExplanation(result)}`);
      }
      if (result.unsatisfied) process.exitCode = 1;
      return { dryRun: true, plan, instances: [], attempts: [], notCreated: 0, detached: false };
    }
    if (result.candidates.length === 0) {
      throw new NoCandidateError(`no machine class in the synced registries matches the request.\n${renderExplanation(result)}\nLoosen the request, or run \`nimbusctl registry sync\` if the registry may be out of date.`);
    }

    const keys = resolveUserKeys({ ...(flags['ssh-key'] === undefined ? {} : { sshKey: flags['ssh-key'] }), ...(flags.identity === undefined ? {} : { identity: flags.identity }) });
    const byId = new Map(catalog.providers.map((p) => [p.provider.id, p]));
    const candidates: CreateCandidate[] = result.candidates.map((c) => ({ endpoint: endpointOf(byId.get(c.providerId)!), classId: c.classId }));
    const names = Array.from({ length: flags.count }, (_, i) => (flags.name === undefined ? undefined : flags.count === 1 ? flags.name : `${flags.name}-${i + 1}`));
    const book = openBook(this.paths);
    const progress = showsProgress(this.jsonEnabled());

    const run = await createInstances({
      candidates,
      preferred: preferredCandidates(result.assignments, flags.count),
      request: requestForProvider(plan.request, flags.image, keys.publicKey),
      names,
      image: flags.image,
      identityFile: keys.identityFile,
      privateKey: readIdentity(keys.identityFile),
      runKey: randomUUID(),
      connector: connector(),
      book,
      connectTimeoutMs: flags.timeout * 1000,
      onAttempt: (a) => {
        if (a.result === 'created') {
          if (progress) this.log(a.message);
          return;
        }
        this.logToStderr(`${a.message}\n  → ${a.next ? `trying the next candidate, ${a.next}` : 'no candidate left to try'}`);
      },
    });

    const out: InstanceCreateResult = { dryRun: false, instances: [], attempts: run.attempts, notCreated: run.failed.length, detached: false };
    try {
      for (const c of run.created) {
        out.instances.push({
          id: c.instance.id,
          ...(c.record.name === undefined ? {} : { name: c.record.name }),
          providerId: c.candidate.endpoint.providerId,
          classId: c.candidate.classId,
          state: c.instance.state,
          address: c.instance.address,
          sshUser: c.instance.sshUser ?? null,
          outcome: null,
          error: null,
        });
      }
      if (run.created.length === 0) {
        const tried = run.attempts.map((a) => `  ${a.providerId}/${a.classId}: ${a.message}`).join('\n');
        throw new CreateFailedError(`no candidate could create the instance:\n${tried}`);
      }
      if (flags.wait) await this.#follow(run.created.map((c) => ({ id: c.instance.id, session: c.session })), out, progress);
    } finally {
      for (const session of run.sessions) session.close();
    }
    if (!this.jsonEnabled() && !progress) {
      for (const i of out.instances) this.log(`${i.id}  ${i.providerId}  ${i.state}  ${i.address ?? '-'}${i.error ? `  ${i.error}` : ''}`);
    }
    if (run.failed.length > 0) {
      this.logToStderr(`${run.failed.length} of ${flags.count} instances could not be created (see above)`);
      process.exitCode = 1;
    }
    if (out.instances.some((i) => i.outcome === 'failed' || i.outcome === 'timeout')) process.exitCode = 1;
    return out;
  }

  async #follow(targets: { id: string; session: ProviderSession }[], out: InstanceCreateResult, progress: boolean): Promise<void> {
    const tracker = new StepTracker();
    const many = targets.length > 1;
    const detach = (): void => {
      out.detached = true;
      for (const t of targets) t.session.close();
    };
    process.once('SIGINT', detach);
    try {
      const book = openBook(this.paths);
      const followed = await followInstances(targets, (event) => {
        const step = tracker.see(event);
        if (step && progress) this.log(`${formatElapsed(step.elapsedMs).padStart(7)}  ${many ? `${step.id}  ` : ''}${step.label}`);
      });
      await book.recordSeen(followed.flatMap((f) => (f.last ? [f.last.instance] : [])));
      for (const f of followed) {
        const row = out.instances.find((i) => i.id === f.id)!;
        if (f.last) {
          Object.assign(row, { state: f.last.instance.state, address: f.last.instance.address, outcome: f.last.outcome ?? null, error: f.last.error?.message ?? null });
          if (f.last.instance.sshUser) row.sshUser = f.last.instance.sshUser;
        } else {
          Object.assign(row, { outcome: out.detached ? 'detached' : 'lost', error: out.detached ? null : (f.error ?? null) });
        }
      }
    } finally {
      process.off('SIGINT', detach);
    }
    if (out.detached) {
      this.logToStderr(`detached; the provider keeps deploying. Follow again with: ${out.instances.map((i) => `nimbusctl instance watch ${i.id}`).join(' ; ')}`);
      return;
    }
    for (const i of out.instances) {
      if (i.outcome === 'deployed' && progress) this.log(`${i.id} is up at ${i.address}: nimbusctl instance ssh ${i.id}`);
      else if (i.outcome === 'failed') this.logToStderr(`instance ${i.id} failed to deploy: ${i.error}; delete it with \`nimbusctl instance delete ${i.id}\` and try again`);
      else if (i.outcome === 'timeout' || i.outcome === 'lost') this.logToStderr(`stopped following ${i.id} (${i.error ?? 'watch timed out'}); it may still be deploying: nimbusctl instance watch ${i.id}`);
    }
  }
}
