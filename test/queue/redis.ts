// A throwaway redis-server for the queue tests: on 127.0.0.1, on a free port, no persistence, killed by stop().
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as net from 'net';
import { describeIf } from '../helpers';

export const hasRedisServer = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;

/** BullMQ 6 loads ioredis, its optional peer dependency, only when connecting. */
export const hasIoredis = (() => {
  try {
    require.resolve('ioredis', { paths: [require.resolve('bullmq')] });
    return true;
  } catch {
    return false;
  }
})();

export const describeRedis: jest.Describe = describeIf(
  hasRedisServer && hasIoredis,
  !hasRedisServer ? 'redis-server not installed (apt-get install redis-server; scripts/setup.sh does)' : 'the ioredis package (BullMQ\'s Redis client) is not installed',
);

/** A port nothing listens on right now: bind port 0 and let the kernel choose. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const ready = await new Promise<boolean>((resolve) => {
      let out = '';
      const onData = (b: Buffer) => {
        out += b.toString();
        if (out.includes('Ready to accept connections')) resolve(true);
      };
      child.stdout!.on('data', onData);
      child.once('exit', () => resolve(false));
    });
    if (ready) {
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        stop: () =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      };
    }
    // Another process took the port between our probe and redis' bind: try another.
    if (attempt >= 3) throw new Error(`redis-server did not start on 127.0.0.1:${port}`);
  }
}
