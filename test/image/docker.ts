import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../support/test-app';

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to completion (no shell), killing it at the deadline. */
export function run(
  command: string,
  args: string[],
  { timeoutMs = 60_000, cwd }: { timeoutMs?: number; cwd?: string } = {},
): Promise<CommandResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const result = {
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: Date.now() - started,
      };
      if (code === null) {
        // Where it was when the deadline passed (a build step, a layer copy).
        reject(
          new Error(
            `${command} ${args.join(' ')} timed out after ${timeoutMs} ms:\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-2000)}`,
          ),
        );
      } else {
        resolve(result);
      }
    });
  });
}

/**
 * `docker …`; throws with its output unless it exits 0 (or `allowFailure`). Generous default
 * deadline: on vfs every `docker run` first copies all of the image's layers, which takes minutes
 * on a busy disk.
 */
export async function docker(
  args: string[],
  options: { timeoutMs?: number; cwd?: string; allowFailure?: boolean } = {},
): Promise<CommandResult> {
  const result = await run('docker', args, { timeoutMs: 10 * 60_000, ...options });
  if (result.code !== 0 && options.allowFailure !== true) {
    throw new Error(
      `docker ${args.join(' ')} exited ${result.code}:\n${result.stdout.slice(-4000)}\n${result.stderr.slice(-4000)}`,
    );
  }
  return result;
}

export interface DockerEngine {
  /** True when this run started dockerd (and will stop it). */
  started: boolean;
  stop(): Promise<void>;
}

async function answers(): Promise<boolean> {
  try {
    return (
      (await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 20_000 }))
        .code === 0
    );
  } catch {
    return false;
  }
}

/**
 * Uses the engine that answers; otherwise starts dockerd as this machine needs it (no iptables,
 * no bridge: containers use the host network; vfs works on any file system) and stops only it.
 */
export async function ensureDockerEngine(): Promise<DockerEngine> {
  if (await answers()) {
    return { started: false, stop: async () => undefined };
  }
  if (process.getuid?.() !== 0) {
    throw new Error('no Docker engine answers and only root can start dockerd');
  }
  const logDir = mkdtempSync(join(tmpdir(), 'mailgate-dockerd-'));
  const logPath = join(logDir, 'dockerd.log');
  const log = openSync(logPath, 'a');
  const daemon = spawn('dockerd', ['--iptables=false', '--bridge=none', '--storage-driver=vfs'], {
    stdio: ['ignore', log, log],
    detached: true,
  });
  closeSync(log);
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  try {
    await waitFor(async () => daemon.exitCode === null && (await answers()), {
      timeoutMs: 60_000,
      intervalMs: 500,
      what: 'dockerd to answer',
    });
  } catch (error) {
    daemon.kill('SIGTERM');
    throw new Error(`dockerd did not start (log ${logPath}):\n${readFileSync(logPath, 'utf8')}`, {
      cause: error,
    });
  }
  process.stdout.write(`started dockerd (pid ${daemon.pid}, log ${logPath})\n`);
  return {
    started: true,
    stop: async () => {
      if (daemon.exitCode !== null) {
        return;
      }
      daemon.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
      process.stdout.write(`stopped the dockerd this run started (pid ${daemon.pid})\n`);
    },
  };
}
