/** The echo kind's switchover driver: every step measured against the fake servers. */
import { planOfKind, sleep, writableData, ZONES, type PairKind, type ProvinceModel, type Site, type StepResult, type SwitchoverPair } from '../../../../index';
import type { EchoPlan } from './echo-plan';
import { echoCommand, echoRole } from './echo-server';

interface EchoPair {
  readonly zone: string;
  readonly address: Readonly<Record<Site, string>>;
}

function echoPairsOf(province: ProvinceModel): EchoPair[] {
  return ZONES.flatMap((zone) => {
    const at = (site: Site) => {
      const unit = province.units.find((u) => u.zone === zone && u.site === site)!;
      return planOfKind<EchoPlan>({ name: 'echo' }, unit.middlewarePlan);
    };
    const [a, b] = [at('A'), at('B')];
    return a && b ? [{ zone, address: { A: a.address, B: b.address } }] : [];
  });
}

export const echoSwitchover: Omit<PairKind, 'name'> = {
  pairsOf: (province) => echoPairsOf(province).map(echoSwitchoverPair),
  // The fake servers take no credentials.
  missingAccess: () => undefined,
};

function echoSwitchoverPair(pair: EchoPair): SwitchoverPair {
  const name = `echo@${pair.zone}`;
  const done = (data: Record<string, unknown>): StepResult => ({ status: 'done', data });
  return {
    kind: 'echo',
    name,
    async check({ from, to, siteLost }) {
      const newSide = await echoRole(pair.address[to]).catch((e: Error) => e);
      if (newSide instanceof Error) return { problems: [`${name} at ${to} does not answer: ${newSide.message}`], data: {} };
      if (newSide.role !== 'replica' || newSide.following !== pair.address[from]) return { problems: [`${name} at ${to} does not follow ${pair.address[from]}`], data: {} };
      if (siteLost) return { problems: [], data: { offset: newSide.offset } };
      const oldSide = await echoRole(pair.address[from]).catch((e: Error) => e);
      if (oldSide instanceof Error) return { problems: [`${name} at ${from} does not answer: if site ${from} is lost, run with --site-lost ${from}`], data: {} };
      return { problems: oldSide.role === 'primary' ? [] : [`${name} at ${from} is not the primary`], data: { offset: newSide.offset } };
    },
    steps: ({ from, to }) => ({
      fence: {
        id: `fence:${name}`,
        title: `Fence ${name} at site ${from}`,
        async run(context) {
          const answered = await echoCommand(pair.address[from], 'FENCE').catch(() => undefined);
          if (answered === undefined) return { status: 'waiting', message: `${name} at site ${from} does not answer` };
          context.acted();
          return done({ fenced: true });
        },
      },
      'caught-up': {
        id: `caught-up:${name}`,
        title: `Wait until ${name} at site ${to} has site ${from}'s offset`,
        async run(context) {
          const deadline = Date.now() + context.timeouts.caughtUpSeconds * 1000;
          for (;;) {
            const [oldSide, newSide] = await Promise.all([echoRole(pair.address[from]), echoRole(pair.address[to])]);
            if (newSide.offset === oldSide.offset) return done({ offset: oldSide.offset });
            if (Date.now() > deadline) return { status: 'refused', message: `${name} at ${to} is ${oldSide.offset - newSide.offset} writes behind` };
            await sleep(20);
          }
        },
      },
      promote: {
        id: `promote:${name}`,
        title: `Promote ${name} at site ${to}`,
        async run(context) {
          const answer = await echoCommand(pair.address[to], 'PROMOTE');
          context.acted();
          return done({ promotedAtOffset: Number(answer.split(' ')[1]) });
        },
      },
      writable: {
        id: `writable:${name}`,
        title: `Verify ${name} at site ${to} takes writes`,
        async run(context) {
          const answer = await echoCommand(pair.address[to], 'WRITE');
          return answer.startsWith('OK') ? done({ writableAt: context.now().toISOString(), rtoSeconds: context.secondsSinceStart() }) : { status: 'failed', message: `${name} at ${to} refused a write: ${answer}` };
        },
      },
      following: {
        id: `following:${name}`,
        title: `Verify ${name} at site ${from} follows site ${to}`,
        async run(context) {
          const deadline = Date.now() + context.timeouts.followingSeconds * 1000;
          for (;;) {
            const [oldSide, newSide] = await Promise.all([echoRole(pair.address[from]), echoRole(pair.address[to])]);
            if (oldSide.role === 'replica' && oldSide.following === pair.address[to] && oldSide.offset === newSide.offset) return done({ offset: newSide.offset });
            if (Date.now() > deadline) return { status: 'failed', message: `${name} at ${from} does not follow ${pair.address[to]}` };
            await sleep(20);
          }
        },
      },
    }),
    report: ({ last }) => ({ kind: 'echo', pair: name, ...writableData(last(`writable:${name}`)) }),
    describe: (report) => `${report.pair}: RTO ${report.rtoSeconds?.toFixed(1)} s from the start of the run`,
  };
}
