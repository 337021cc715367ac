/**
 * The Worker as the delivery and scale benchmarks run it: `wrangler dev` on a free local
 * port with a fresh local D1 (migrations applied, optionally seeded by SQL) in a temporary
 * directory, running a frozen bundle of the Worker so that edits elsewhere in the tree
 * cannot reload it mid-run (a reload also drops the local queues' pending messages).
 * Stopped (and its directory removed) by `stop()`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
const wrangler = path.join(root, 'node_modules/wrangler/bin/wrangler.js');
export const ADMIN_TOKEN = 'dev-admin-token';

function run(argv) {
  const result = spawnSync(process.execPath, [wrangler, ...argv], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false' },
  });
  if (result.status !== 0) {
    console.error(result.stdout, result.stderr);
    throw new Error(`wrangler ${argv.slice(0, 3).join(' ')} failed`);
  }
  return result.stdout;
}

export async function waitFor(check, timeoutMs, what, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

/** A free local port (a fixed one could still be held by an earlier run that is shutting down). */
export async function freePort(requested = 0) {
  if (requested) return requested;
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * Starts the Worker. `vars` are passed with --var; `seedSql` runs after the migrations;
 * `edit(toml)` may change the copied wrangler.toml (e.g. a queue consumer's settings).
 */
export async function startLocalWorker({
  port = 0,
  vars = {},
  seedSql,
  edit = (toml) => toml,
  keep = false,
}) {
  const workerPort = await freePort(port);
  const dir = mkdtempSync(path.join(tmpdir(), 'papers-digest-bench-'));
  let log = '';
  let dev;
  const stop = async () => {
    if (dev && dev.exitCode === null) {
      const exited = new Promise((resolve) => dev.once('exit', resolve));
      dev.kill('SIGINT');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    }
    if (!keep) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  };
  try {
    run(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', dir]);
    if (seedSql) {
      const sqlFile = path.join(dir, 'seed.sql');
      writeFileSync(sqlFile, seedSql);
      run(['d1', 'execute', 'DB', '--local', '--persist-to', dir, '--file', sqlFile]);
    }
    run(['deploy', '--dry-run', '--outdir', path.join(dir, 'dist')]);
    const config = readFileSync(path.join(root, 'wrangler.toml'), 'utf8')
      .replace(/^main = .*$/m, 'main = "dist/index.js"\nno_bundle = true')
      .replace(
        /^migrations_dir = .*$/gm,
        `migrations_dir = ${JSON.stringify(path.join(root, 'migrations'))}`,
      );
    writeFileSync(path.join(dir, 'wrangler.toml'), edit(config));
    const varArgs = Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}:${value}`]);
    dev = spawn(
      process.execPath,
      [
        wrangler,
        'dev',
        '--config',
        path.join(dir, 'wrangler.toml'),
        '--ip',
        '127.0.0.1',
        '--port',
        String(workerPort),
        '--persist-to',
        dir,
        ...varArgs,
        '--log-level',
        process.env.BENCH_LOG_LEVEL ?? 'warn',
      ],
      {
        cwd: root,
        env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    dev.stdout.on('data', (chunk) => {
      log += chunk;
    });
    dev.stderr.on('data', (chunk) => {
      log += chunk;
    });
    const base = `http://127.0.0.1:${workerPort}`;
    await waitFor(
      async () => {
        try {
          return (await fetch(`${base}/healthz`)).ok;
        } catch {
          return false;
        }
      },
      60_000,
      'wrangler dev',
    ).catch((error) => {
      console.error(log);
      throw error;
    });
    return { base, dir, log: () => log, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** An admin API call with the development token; answers the parsed JSON and the time it took. */
export async function admin(
  base,
  pathname,
  { method = 'POST', body, contentType = 'application/json' } = {},
) {
  const started = performance.now();
  const response = await fetch(`${base}${pathname}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': contentType }),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  const seconds = (performance.now() - started) / 1000;
  if (!response.ok)
    throw new Error(`${method} ${pathname} answered ${response.status}: ${text.slice(0, 2000)}`);
  return { json: JSON.parse(text), seconds };
}
