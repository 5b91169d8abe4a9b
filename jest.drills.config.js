/** Drills against real servers on loopback (redis-server, named, nginx): `npm run test:drills`. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/drills'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  testTimeout: 120000,
  // One drill at a time per jest process: they start servers and measure (npm run test:drills:lanes runs two
  // such processes, each in a network namespace of its own: bin/drills.ts).
  maxWorkers: 1,
};
