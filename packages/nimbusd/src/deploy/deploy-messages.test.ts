import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import type { CatalogImage } from '../config/config.ts';
import { parseInventory, parseProgress, parseResult } from './agent-messages.ts';
import { readDeployRequest } from './deploy-request.ts';
import { renderInstructions } from './instructions.ts';
import { LOCAL_BOOT_SCRIPT, renderRamdiskScript } from './ramdisk-script.ts';
import { renderMetaData, renderUserData } from './seed.ts';

const KEY = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'ann@laptop' }).public;
const CATALOG: CatalogImage[] = [{ name: 'tiny', file: '/srv/tiny.raw.gz', format: 'raw', compression: 'gzip', sha256: 'a'.repeat(64), sshUser: 'root' }];

describe('the deploy part of an instance request', () => {
  it('is absent without an image, and read with keys, hostname and user-data otherwise', () => {
    expect(readDeployRequest({ cores: 2 }, CATALOG)).toBeUndefined();
    const r = readDeployRequest({ image: 'tiny', sshKeys: [`${KEY.trim().replace('ann@laptop', 'ann "x": #1')}`], hostname: 'Web-1' }, CATALOG)!;
    expect(r.image.name).toBe('tiny');
    expect(r.hostname).toBe('web-1');
    expect(r.sshKeys[0]).toMatch(/^ssh-ed25519 AAAA[A-Za-z0-9+/=]+ ann_x_1$/);
  });

  it.each([
    [{ image: 'huge' }, /no image "huge" \(it offers: tiny\)/],
    [{ image: 'tiny' }, /at least one SSH public key/],
    [{ image: 'tiny', sshKeys: ['ssh-ed25519 notbase64'] }, /request.sshKeys\[0\]: not an OpenSSH public key line/],
    [{ image: 'tiny', sshKeys: [KEY], hostname: 'bad_host!' }, /request.hostname: "bad_host!" is not a host name/],
    [{ image: 'tiny', sshKeys: [KEY], userData: 'x'.repeat(20_000) }, /request.userData: longer than 16384 bytes/],
    [{ image: 7 }, /request.image: expected an image name/],
  ])('refuses %j, saying what', (request, message) => {
    expect(() => readDeployRequest(request as Record<string, unknown>, CATALOG)).toThrow(message);
  });
});

describe('what the ramdisk is given', () => {
  it('boots the ramdisk with the token on the kernel line, and nothing iPXE would expand', () => {
    const script = renderRamdiskScript({ httpBase: 'http://10.77.0.1:8080', token: 'tok_EN-1', mode: 'deploy' });
    expect(script.startsWith('#!ipxe\n')).toBe(true);
    expect(script).toContain('kernel http://10.77.0.1:8080/boot/ramdisk/tok_EN-1/vmlinuz initrd=initramfs.img nimbus.api=http://10.77.0.1:8080 nimbus.token=tok_EN-1 nimbus.mode=deploy');
    expect(script).toContain('initrd http://10.77.0.1:8080/boot/ramdisk/tok_EN-1/initramfs.img');
    expect(() => renderRamdiskScript({ httpBase: 'http://x', token: '${net0/mac}', mode: 'deploy' })).toThrow(/token has characters iPXE would interpret/);
    expect(LOCAL_BOOT_SCRIPT).toMatch(/^#!ipxe\n[\s\S]*\nexit\n$/);
  });

  it('writes instructions as shell-safe key=value lines and refuses anything else', () => {
    expect(renderInstructions({ mode: 'deploy', imageUrl: 'http://10.0.0.1:8080/images/tiny', imageSha256: 'a'.repeat(64), imageCompression: 'gzip', imageSize: 1234, targetDisk: 'auto', seedUrl: 'http://10.0.0.1:8080/deploy/v1/seed' })).toBe(
      `mode=deploy\nimage_url=http://10.0.0.1:8080/images/tiny\nimage_sha256=${'a'.repeat(64)}\nimage_compression=gzip\nimage_size=1234\ntarget_disk=auto\nseed_url=http://10.0.0.1:8080/deploy/v1/seed\n`,
    );
    expect(renderInstructions({ mode: 'inspect' })).toBe('mode=inspect\n');
    expect(() => renderInstructions({ mode: 'wipe', targetDisk: '/dev/sda; rm -rf /', wipe: 'quick' })).toThrow(/target_disk .* is not safe/);
  });

  it('writes a NoCloud seed with the hostname and the keys', () => {
    const seed = { instanceId: 'i-1', hostname: 'web-1', sshKeys: ['ssh-ed25519 AAAAC3 ann'] };
    expect(renderMetaData(seed)).toBe('instance-id: i-1\nlocal-hostname: web-1\npublic-keys:\n  - ssh-ed25519 AAAAC3 ann\n');
    expect(renderUserData(seed)).toBe('#cloud-config\nhostname: web-1\nssh_authorized_keys:\n  - ssh-ed25519 AAAAC3 ann\n');
    expect(renderUserData({ ...seed, userData: '#!/bin/sh\necho hi\n' })).toBe('#!/bin/sh\necho hi\n');
  });
});

describe("the ramdisk's messages", () => {
  it('reads progress, results and inventory', () => {
    expect(parseProgress('phase=write&done=1048576&total=4194304')).toEqual({ phase: 'write', done: 1048576, total: 4194304 });
    expect(parseResult('status=ok&ip=10.77.0.50&disk=/dev/vda')).toEqual({ status: 'ok', ip: '10.77.0.50', disk: '/dev/vda' });
    expect(parseResult('status=failed&class=image_checksum&message=sha256+mismatch+<script>')).toEqual({ status: 'failed', class: 'image_checksum', message: 'sha256 mismatch _script_' });
    const inv = parseInventory(JSON.stringify({ cpus: { count: 2, model: 'QEMU' }, memoryBytes: 536870912, disks: [{ name: 'vda', sizeBytes: 1073741824, model: '', rotational: false }], nics: [{ name: 'eth0', mac: '52:54:00:AA:00:01', speedMbps: 1000 }], system: { vendor: 'QEMU' } }));
    expect(inv.nics[0]).toEqual({ name: 'eth0', mac: '52:54:00:aa:00:01', speedMbps: 1000 });
    expect(inv.system).toEqual({ vendor: 'QEMU', product: '', serial: '' });
  });

  it.each([
    [() => parseProgress('phase=dance'), /phase "dance" is not one of/],
    [() => parseProgress('phase=write&done=-1'), /done "-1" is not a whole number/],
    [() => parseProgress('phase=write&done=1e99'), /done "1e99" is not a whole number/],
    [() => parseResult(''), /status null must be ok or failed/],
    [() => parseResult('status=failed&class=oops'), /class "oops" is not one of/],
    [() => parseResult('status=ok&ip=10.0.0.256'), /ip "10.0.0.256" is not an IPv4 address/],
    [() => parseResult('status=ok&disk=../../etc'), /disk "..\/..\/etc" is not a \/dev\/ name/],
    [() => parseInventory('{'), /inventory: not JSON/],
    [() => parseInventory('[]'), /cpus.count must be/],
    [() => parseInventory(JSON.stringify({ cpus: { count: 1 }, memoryBytes: 1, disks: [], nics: [{ mac: 'zz' }] })), /nics\[0\].mac is not a MAC address/],
  ])('refuses malformed input %#, saying what', (parse, message) => {
    expect(parse).toThrow(message);
  });
});
