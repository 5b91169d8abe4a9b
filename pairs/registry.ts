/**
 * The kinds of DR pair the toolkit knows, in the order the switchover drives them within each phase.
 * Adding a kind is one folder under pairs/ and one line here (docs/architecture.md walks through it);
 * `registerPairKind` adds one from outside the toolkit (a project's own kind, or a test's).
 */
import { databasePairKind } from './database/database-driver';
import { fastdfsPairKind } from './fastdfs/fastdfs-driver';
import { kafkaPairKind } from './kafka/kafka-driver';
import type { PairKind } from './kind';
import { redisPairKind } from './redis/redis-driver';

const BUILT_IN: readonly PairKind[] = [redisPairKind, kafkaPairKind, fastdfsPairKind, databasePairKind];

const registered: PairKind[] = [...BUILT_IN];

/** Every registered kind, built-in ones first. */
export function pairKinds(): readonly PairKind[] {
  return registered;
}

/** The names `npm run switchover -- --kinds` takes. */
export function pairKindNames(): readonly string[] {
  return registered.map((kind) => kind.name);
}

/** Adds a kind after the built-in ones; a second kind of the same name is refused. */
export function registerPairKind(kind: PairKind): void {
  if (registered.some((k) => k.name === kind.name)) throw new Error(`a DR pair kind named "${kind.name}" is registered already`);
  registered.push(kind);
}

/** Removes a kind registered with registerPairKind (tests; a built-in kind cannot be removed). */
export function unregisterPairKind(name: string): void {
  const index = registered.findIndex((k) => k.name === name);
  if (index >= 0 && !BUILT_IN.includes(registered[index]!)) registered.splice(index, 1);
}
