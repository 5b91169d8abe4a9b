/**
 * The kinds of DR pair the toolkit knows, in the order the switchover drives them within each phase.
 * Adding a kind is one folder under pairs/ and one line here (docs/architecture.md walks through it);
 * `registerPairKind` adds one from outside the toolkit (a project's own kind, or a test's).
 */
import { databasePairKind } from './database/database-driver';
import { fastdfsPairKind } from './fastdfs/fastdfs-driver';
import { kafkaPairKind } from './kafka/kafka-driver';
import { registerPairKindModel, unregisterPairKindModel } from '../model/pair-kinds';
import type { PairKind, ProjectPairKind } from './kind';
import { registerPairKindRender, unregisterPairKindRender } from './kind-renders';
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

/** A kind's name: the key under `middleware.kinds`, a construct id and a journal word. */
const KIND_NAME = /^[a-z][a-z0-9-]{0,30}$/;

/**
 * Adds a project's kind of DR pair after the built-in ones: its environment part and planner to the
 * model, its construct to every unit's middleware, its driver to the switchover. Call it before the
 * environment is loaded. A second kind of the same name is refused.
 */
export function registerPairKind<Settings, Plan>(kind: ProjectPairKind<Settings, Plan>): void {
  if (!KIND_NAME.test(kind.name)) throw new Error(`DR pair kind name "${kind.name}": expected 1-31 lowercase letters, digits or dashes, starting with a letter`);
  if (registered.some((k) => k.name === kind.name)) throw new Error(`a DR pair kind named "${kind.name}" is registered already`);
  registerPairKindModel(kind);
  registerPairKindRender(kind);
  registered.push({ name: kind.name, ...kind.switchover });
}

/** Removes a kind registered with registerPairKind (tests; a built-in kind cannot be removed). */
export function unregisterPairKind(name: string): void {
  const index = registered.findIndex((k) => k.name === name);
  if (index < 0 || BUILT_IN.includes(registered[index]!)) return;
  registered.splice(index, 1);
  unregisterPairKindModel(name);
  unregisterPairKindRender(name);
}
