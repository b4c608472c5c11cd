/**
 * The one order placement reads a registry in: providers by id, each provider's machine
 * classes by id (code-unit order). Results never depend on the order of the input arrays.
 */
import type { MachineClass, Provider } from '../provider.ts';
import { DuplicateIdError } from './errors.ts';
import { compareStrings } from './request.ts';

export interface OrderedProvider {
  provider: Provider;
  machines: readonly MachineClass[];
}

/** Throws {@link DuplicateIdError} when two providers, or two classes of one provider, share an id. */
export function orderProviders(providers: readonly Provider[]): OrderedProvider[] {
  const ordered = [...providers].sort((a, b) => compareStrings(a.id, b.id));
  for (let i = 1; i < ordered.length; i++) {
    if (ordered[i]!.id === ordered[i - 1]!.id) throw new DuplicateIdError(`two providers have the id ${ordered[i]!.id}`);
  }
  return ordered.map((provider) => {
    const machines = [...provider.machines].sort((a, b) => compareStrings(a.id, b.id));
    for (let i = 1; i < machines.length; i++) {
      if (machines[i]!.id === machines[i - 1]!.id) {
        throw new DuplicateIdError(`provider ${provider.id} has two machine classes with the id ${machines[i]!.id}`);
      }
    }
    return { provider, machines };
  });
}
