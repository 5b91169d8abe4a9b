import { DRILL_SECONDS, drillFiles, lanes } from '../bin/drills';

describe('the drills in two lanes (npm run test:drills)', () => {
  const files = drillFiles();

  test('every drill file has a measured time to balance by', () => {
    expect(files.filter((file) => DRILL_SECONDS[file] === undefined)).toEqual([]);
    expect(Object.keys(DRILL_SECONDS).filter((file) => !files.includes(file))).toEqual([]);
  });

  test('every drill runs once, the two Kafka drills in the same lane, the lanes within the longest drill of each other', () => {
    const plan = lanes(files, 2);
    expect(plan.flat().sort()).toEqual([...files].sort());
    expect(plan.filter((lane) => lane.includes('kafka-monitoring.test.ts') && lane.includes('kafka-failover.test.ts'))).toHaveLength(1);
    const seconds = plan.map((lane) => lane.reduce((sum, file) => sum + DRILL_SECONDS[file], 0));
    expect(Math.abs(seconds[0] - seconds[1])).toBeLessThanOrEqual(Math.max(...Object.values(DRILL_SECONDS)));
  });

  test('one lane holds every drill', () => {
    expect(lanes(files, 1)).toHaveLength(1);
    expect(lanes(files, 1)[0].sort()).toEqual([...files].sort());
  });
});
