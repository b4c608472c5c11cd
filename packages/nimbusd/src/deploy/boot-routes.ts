/**
 * nimbusd's routes on the boot HTTP server: the iPXE script of a booting machine, the
 * ramdisk's kernel and initramfs, and the deploy contract's endpoints (instructions,
 * image, NoCloud seed, progress, inventory, result). Everything but the iPXE script needs
 * the boot session's one-time token (in the path for iPXE's downloads, as a Bearer header
 * for the ramdisk); a wrong or spent token gets 403 and an audit record.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { RequestContext, Route } from '../boot/http/index.ts';
import type { CatalogImage } from '../config/config.ts';
import type { Logger } from '../logging/index.ts';
import type { MachineBootPolicy } from '../machines/boot-policy.ts';
import type { BootSession, BootSessions } from '../state/boot-sessions.ts';
import type { Store } from '../state/store.ts';
import { parseInventory, parseProgress, parseResult } from './agent-messages.ts';
import { readDeployRequest } from './deploy-request.ts';
import { AgentMessageError } from './errors.ts';
import type { BootEvents, RamdiskAction } from './events.ts';
import { renderInstructions } from './instructions.ts';
import { LOCAL_BOOT_SCRIPT, renderRamdiskScript } from './ramdisk-script.ts';
import { renderMetaData, renderUserData } from './seed.ts';

export interface BootRoutesOptions {
  store: Pick<Store, 'getInstance' | 'findMachineByMac'>;
  sessions: BootSessions;
  events: BootEvents;
  policy: MachineBootPolicy;
  tokens: ReadonlyMap<string, string>;
  catalog: () => readonly CatalogImage[];
  /** e.g. http://10.77.0.1:8080 (a function: the port is known once the server is bound). */
  httpBase: () => string;
  ramdiskDir: string;
  logger: Logger;
  /** How long a result post waits for the deploy flow's answer before telling the ramdisk to wait; default 60 s. */
  resultAnswerMs?: number;
}

const RAMDISK_FILES = new Set(['vmlinuz', 'initramfs.img']);
const SEED_FILES = new Set(['meta-data', 'user-data', 'network-config']);
const MAC_PARAM = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export function bootRoutes(options: BootRoutesOptions): Route[] {
  const authorised = (ctx: RequestContext, token: string | undefined): BootSession | undefined => {
    if (!token) {
      ctx.sendText(403, 'a boot session token is required\n');
      return undefined;
    }
    const verdict = options.sessions.verify(token, ctx.remoteAddress ?? 'unknown');
    if (!verdict.ok) {
      ctx.sendText(403, 'this token is not valid (unknown, or its boot session is over)\n');
      return undefined;
    }
    return verdict.session;
  };
  const bearer = (ctx: RequestContext): BootSession | undefined => {
    const header = ctx.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(header) : null;
    return authorised(ctx, match?.[1]);
  };
  const malformed = (ctx: RequestContext, err: unknown): void => {
    if (err instanceof AgentMessageError) ctx.sendText(400, `${err.message}\n`);
    else throw err;
  };

  return [
    {
      method: 'GET',
      pattern: '/boot/ipxe/:mac',
      handler: (ctx) => {
        const mac = ctx.params.mac!.toLowerCase().replaceAll('-', ':');
        const session = MAC_PARAM.test(mac) ? options.policy.bootingSession(mac) : undefined;
        const token = session ? options.tokens.get(session.id) : undefined;
        if (!session || !token) return ctx.sendText(200, LOCAL_BOOT_SCRIPT);
        options.events.emit(session.id, { type: 'script', from: ctx.remoteAddress });
        ctx.sendText(200, renderRamdiskScript({ httpBase: options.httpBase(), token, mode: session.mode }));
      },
    },
    {
      method: 'GET',
      pattern: '/boot/ramdisk/:token/:file',
      secretParams: ['token'],
      handler: async (ctx) => {
        if (!RAMDISK_FILES.has(ctx.params.file!)) return ctx.sendText(404, 'no such ramdisk file\n');
        if (!authorised(ctx, ctx.params.token)) return;
        await ctx.sendFile(join(options.ramdiskDir, ctx.params.file!), { contentType: 'application/octet-stream' });
      },
    },
    {
      method: 'GET',
      pattern: '/deploy/v1/instructions',
      handler: (ctx) => {
        const session = bearer(ctx);
        if (!session) return;
        options.events.emit(session.id, { type: 'instructions', from: ctx.remoteAddress });
        if (session.mode !== 'deploy') {
          const level = session.detail.wipe === 'full' ? 'full' : 'quick';
          return ctx.sendText(200, renderInstructions(session.mode === 'inspect' ? { mode: 'inspect' } : { mode: 'wipe', targetDisk: 'auto', wipe: level }));
        }
        const image = imageOf(options, session);
        if (!image) return ctx.sendText(409, 'the image of this deploy is no longer in the catalog\n');
        ctx.sendText(
          200,
          renderInstructions({
            mode: 'deploy',
            imageUrl: `${options.httpBase()}/images/${image.name}`,
            imageSha256: image.sha256,
            imageCompression: image.compression,
            imageSize: statSync(image.file).size,
            targetDisk: 'auto',
            seedUrl: `${options.httpBase()}/deploy/v1/seed`,
          }),
        );
      },
    },
    {
      method: 'GET',
      pattern: '/images/:name',
      handler: async (ctx) => {
        const session = bearer(ctx);
        if (!session) return;
        const image = imageOf(options, session);
        // A token opens its own deploy's image and no other.
        if (!image || image.name !== ctx.params.name) return ctx.sendText(404, 'no such image for this deploy\n');
        await ctx.sendFile(image.file, { contentType: 'application/octet-stream' });
      },
    },
    {
      method: 'GET',
      pattern: '/deploy/v1/seed/:file',
      handler: (ctx) => {
        const session = bearer(ctx);
        if (!session) return;
        if (!SEED_FILES.has(ctx.params.file!) || session.instanceId === null) return ctx.sendText(404, 'no such seed file\n');
        if (ctx.params.file === 'network-config') return ctx.sendText(404, 'no network-config: every NIC uses DHCP\n');
        const instance = options.store.getInstance(session.instanceId);
        const request = readDeployRequest(instance.request as Record<string, unknown>, options.catalog());
        if (!request) return ctx.sendText(404, 'this instance has no seed\n');
        const seed = { instanceId: instance.id, hostname: request.hostname ?? instance.id, sshKeys: request.sshKeys, ...(request.userData === undefined ? {} : { userData: request.userData }) };
        ctx.sendText(200, ctx.params.file === 'meta-data' ? renderMetaData(seed) : renderUserData(seed));
      },
    },
    {
      method: 'POST',
      pattern: '/deploy/v1/progress',
      handler: async (ctx) => {
        const session = bearer(ctx);
        if (!session) return;
        try {
          const progress = parseProgress((await ctx.readBody(4096)).toString('utf8'));
          options.events.emit(session.id, { type: 'progress', progress });
          ctx.sendText(200, 'ok\n');
        } catch (err) {
          malformed(ctx, err);
        }
      },
    },
    {
      method: 'POST',
      pattern: '/deploy/v1/inventory',
      handler: async (ctx) => {
        const session = bearer(ctx);
        if (!session) return;
        try {
          const inventory = parseInventory((await ctx.readBody(256 * 1024)).toString('utf8'));
          options.events.emit(session.id, { type: 'inventory', inventory });
          ctx.sendText(200, 'ok\n');
        } catch (err) {
          malformed(ctx, err);
        }
      },
    },
    {
      method: 'POST',
      pattern: '/deploy/v1/result',
      handler: async (ctx) => {
        const session = bearer(ctx);
        if (!session) return;
        let result;
        try {
          result = parseResult((await ctx.readBody(4096)).toString('utf8'));
        } catch (err) {
          return malformed(ctx, err);
        }
        const action = await new Promise<RamdiskAction>((resolve) => {
          const timer = setTimeout(() => resolve('wait'), options.resultAnswerMs ?? 60_000);
          options.events.emit(session.id, {
            type: 'result',
            result,
            respond: (chosen) => {
              clearTimeout(timer);
              resolve(chosen);
            },
          });
        });
        ctx.sendText(200, `action=${action}\n`);
      },
    },
  ];
}

function imageOf(options: BootRoutesOptions, session: BootSession): CatalogImage | undefined {
  const name = session.detail.image;
  return typeof name === 'string' ? options.catalog().find((i) => i.name === name) : undefined;
}
