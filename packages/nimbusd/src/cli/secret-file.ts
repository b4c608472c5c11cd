import { readFileSync, statSync } from 'node:fs';
import { SecretFileError } from './errors.ts';

/** Permission bits that let the file's group or everyone read it. */
const READABLE_BY_OTHERS = 0o044;

/**
 * Reads a secret (a BMC password, a K_g) from a file only its owner can read, like ssh
 * does with a private key: a secret others can read is already leaked, so using it would
 * hide the leak. One trailing newline is dropped, since editors and `echo` add one.
 * `flag` names the flag in errors; the contents never appear in one.
 */
export function readSecretFile(path: string, flag: string): string {
  let mode: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new SecretFileError(`${flag} ${path} is not a regular file`);
    mode = st.mode;
  } catch (err) {
    if (err instanceof SecretFileError) throw err;
    throw new SecretFileError(`${flag} ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  if ((mode & READABLE_BY_OTHERS) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(4, '0');
    throw new SecretFileError(`${flag} ${path} is readable by its group or by others (mode ${octal}); make it private with \`chmod 600 ${path}\``);
  }
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new SecretFileError(`${flag} ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
}
