/**
 * Runs s3rver (an npm S3 emulator) as its own process, for tests: `node s3rverServer.js DIR`
 * prints `{"port": N}` once listening and serves until killed. A child process because the
 * tests run dsg with spawnSync, which would block an in-process server.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as new (opts: object) => { run(): Promise<{ port: number }> };
const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: process.argv[2] });
const addr = await server.run();
process.stdout.write(`${JSON.stringify({ port: addr.port })}\n`);
