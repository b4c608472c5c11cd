/**
 * Rules of a provider file that JSON Schema cannot express. They read the parsed value
 * defensively, because they also run on files that failed the schema, so one pass
 * reports everything that is wrong.
 */
import type { Issue } from './issue.ts';
import { formatKeyPath, isTable } from './key-path.ts';

/** `expectedId` is the file name without `.toml`; `file` is the path, for the message. */
export function semanticIssues(data: unknown, file: string, expectedId: string): Issue[] {
  if (!isTable(data)) return [];
  const issues: Issue[] = [];
  const id = data['id'];
  if (typeof id === 'string' && id !== expectedId) {
    issues.push({
      code: 'id-mismatch',
      path: ['id'],
      anchor: 'value',
      message: `id: ${JSON.stringify(id)} does not match the file name ${file}; the id must be ${JSON.stringify(expectedId)} or the file renamed`,
    });
  }
  const machines = data['machines'];
  if (Array.isArray(machines)) issues.push(...machineIssues(machines));
  return issues;
}

function machineIssues(machines: readonly unknown[]): Issue[] {
  const issues: Issue[] = [];
  const firstIndexById = new Map<string, number>();
  machines.forEach((machine, index) => {
    if (!isTable(machine)) return;
    const id = machine['id'];
    if (typeof id === 'string') {
      const first = firstIndexById.get(id);
      if (first === undefined) firstIndexById.set(id, index);
      else issues.push(duplicateMachine(id, first, index));
    }
    const cpu = machine['cpu'];
    if (isTable(cpu)) {
      const { cores, threads } = cpu;
      if (typeof cores === 'number' && typeof threads === 'number' && threads < cores) {
        const path = ['machines', index, 'cpu', 'threads'];
        issues.push({
          code: 'inconsistent',
          path,
          anchor: 'value',
          message: `${formatKeyPath(path)}: ${threads} threads is fewer than the ${cores} cores; threads counts hardware threads of all sockets, at least one per core`,
        });
      }
    }
  });
  return issues;
}

function duplicateMachine(id: string, first: number, index: number): Issue {
  const firstPath = ['machines', first, 'id'];
  const path = ['machines', index, 'id'];
  return {
    code: 'duplicate-machine',
    path,
    anchor: 'value',
    message: (positions) =>
      `${formatKeyPath(path)}: machine class id ${JSON.stringify(id)} is already used by ${formatKeyPath(firstPath.slice(0, 2))} on line ${positions.locate(firstPath, 'value').line}; machine class ids must be unique within a provider`,
  };
}
