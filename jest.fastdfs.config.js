/**
 * The FastDFS drill (`npm run drill:fastdfs`): real fdfs_trackerd and fdfs_storaged, which no registry CI
 * reaches serves, so it is not part of `npm run test:drills` (docs/disaster-recovery.md, "FastDFS drill").
 */
const drills = require('./jest.drills.config.js');

module.exports = { ...drills, roots: ['<rootDir>/test/drills-fastdfs'] };
