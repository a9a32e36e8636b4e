// Starts the real `vox` binary on a free port for the tests.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const API_KEY = 'sk-vox-node-key-0001';
export const API_VERSION = '2025-01-01-preview';

const ROOT = resolve(import.meta.dirname, '../../../..');

/** `args`: more `vox serve` flags (`--tls-cert`, ...); `env`: more variables (`VOX_PROFILE`, ...). */
export async function startVox({ args = [], env = {} } = {}) {
  const binary = process.env.VOX_BIN ?? join(ROOT, 'target/release/vox');
  if (!existsSync(binary)) throw new Error(`${binary} not found: run cargo build --release or set VOX_BIN`);
  const home = mkdtempSync(join(tmpdir(), 'vox-node-'));
  const child = spawn(binary, ['serve', '--addr', '127.0.0.1:0', ...args], {
    env: {
      // The test profile's models, pulled by scripts/test.
      VOX_MODELS_DIR: join(ROOT, 'target/vox-test-models'),
      VOX_PROFILE: 'test',
      ...process.env,
      VOX_HOME: home,
      VOX_API_KEYS: API_KEY,
      RUST_LOG: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise((done, fail) => {
    lines.once('line', done);
    child.once('exit', (code) => fail(new Error(`vox exited with ${code} before listening`)));
  });
  if (!first.startsWith('vox listening on ')) throw new Error(`unexpected first line: ${first}`);
  const url = first.slice('vox listening on '.length).trim();
  const stop = async () => {
    const exited = new Promise((done) => child.once('exit', (code) => done(code)));
    child.kill('SIGTERM');
    const code = await exited;
    rmSync(home, { recursive: true, force: true });
    return code;
  };
  return { url, stop };
}

/** Vox over https with a fresh self-signed certificate for localhost and 127.0.0.1 (made with
 * openssl). `cert` is the file a client trusts through NODE_EXTRA_CA_CERTS. */
export async function startVoxWithTls() {
  const folder = mkdtempSync(join(tmpdir(), 'vox-node-tls-'));
  const cert = join(folder, 'cert.pem');
  const key = join(folder, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  const vox = await startVox({ args: ['--tls-cert', cert, '--tls-key', key] });
  const stop = async () => {
    const code = await vox.stop();
    rmSync(folder, { recursive: true, force: true });
    return code;
  };
  return { url: vox.url, cert, stop };
}
