/**
 * Editors (issue 15, part 7), a real consumer: yaml-language-server, driven over stdio LSP as an
 * editor drives it, gives completion and hover on a service file of a project made by
 * `gitopsc init`, offline. (That the shipped schemas compile under ajv's strict mode with nothing
 * registered is test/schema.strict.test.ts.)
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/project.js';

/** A minimal LSP client over stdio (Content-Length framed JSON-RPC). */
class Lsp {
  private buf = Buffer.alloc(0);
  private id = 0;
  private waiting = new Map<number, (v: unknown) => void>();
  constructor(private proc: ChildProcessWithoutNullStreams, settings: unknown) {
    proc.stdout.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (;;) {
        const head = this.buf.indexOf('\r\n\r\n');
        if (head < 0) return;
        const len = Number(/Content-Length: (\d+)/i.exec(this.buf.subarray(0, head).toString())?.[1]);
        if (this.buf.length < head + 4 + len) return;
        const msg = JSON.parse(this.buf.subarray(head + 4, head + 4 + len).toString()) as { id?: number; method?: string; result?: unknown; params?: { items?: unknown[] } };
        this.buf = this.buf.subarray(head + 4 + len);
        if (msg.method && msg.id !== undefined) {
          // a request from the server (workspace/configuration, client/registerCapability, ...)
          const result = msg.method === 'workspace/configuration' ? (msg.params?.items ?? []).map(() => settings) : null;
          this.send({ jsonrpc: '2.0', id: msg.id, result });
        } else if (msg.id !== undefined) {
          this.waiting.get(msg.id)?.(msg.result);
          this.waiting.delete(msg.id);
        }
      }
    });
  }
  private send(m: unknown): void {
    const body = Buffer.from(JSON.stringify(m));
    this.proc.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.proc.stdin.write(body);
  }
  notify(method: string, params: unknown): void {
    this.send({ jsonrpc: '2.0', method, params });
  }
  request<T>(method: string, params: unknown): Promise<T> {
    const id = ++this.id;
    this.send({ jsonrpc: '2.0', id, method, params });
    return new Promise((resolve) => this.waiting.set(id, resolve as (v: unknown) => void));
  }
}

describe('yaml-language-server on a project made by gitopsc init', () => {
  let proc: ChildProcessWithoutNullStreams;
  let lsp: Lsp;
  let uri: string;
  let text: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gitopsc-editor-'));
    expect((await cli(dir, 'init')).code).toBe(0);
    const file = join(dir, 'services/hello.yaml');
    text = readFileSync(file, 'utf8');
    // a `$schema` that resolves offline, inside the project
    expect(text.split('\n')[0]).toMatch(/^# yaml-language-server: \$schema=\.\.\/(\.schemas|node_modules\/gitopsc\/schemas)\/service\.schema\.json$/);
    uri = pathToFileURL(file).href;
    const server = createRequire(import.meta.url).resolve('yaml-language-server/bin/yaml-language-server');
    proc = spawn(process.execPath, [server, '--stdio'], { cwd: dir });
    const settings = { validate: true, hover: true, completion: true, schemaStore: { enable: false } };
    lsp = new Lsp(proc, settings);
    await lsp.request('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(dir).href,
      capabilities: { textDocument: { completion: { completionItem: { snippetSupport: false } }, hover: { contentFormat: ['markdown', 'plaintext'] } } },
      workspaceFolders: null,
    });
    lsp.notify('initialized', {});
    lsp.notify('workspace/didChangeConfiguration', { settings: { yaml: settings } });
    lsp.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });
  }, 60_000);

  afterAll(() => proc?.kill());

  const positionOf = (needle: string, offset = 0) => {
    const lines = text.split('\n');
    const line = lines.findIndex((l) => l.includes(needle));
    return { line, character: lines[line]!.indexOf(needle) + offset };
  };

  it('hovers a key with its schema description', async () => {
    const r = await lsp.request<{ contents: { value: string } | string } | null>('textDocument/hover', { textDocument: { uri }, position: positionOf('replicas:', 2) });
    const value = typeof r?.contents === 'string' ? r.contents : (r?.contents.value ?? '');
    expect(value.toLowerCase()).toContain('replica');
  }, 30_000);

  it('completes the keys of spec.kubernetes from the schema', async () => {
    // an empty line inside `kubernetes:` (indented like its keys)
    const at = positionOf('    replicas: 1');
    const lines = text.split('\n');
    lines.splice(at.line, 0, '    ');
    text = lines.join('\n');
    lsp.notify('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text }] });
    const r = await lsp.request<{ items: { label: string }[] } | { label: string }[]>('textDocument/completion', { textDocument: { uri }, position: { line: at.line, character: 4 } });
    const labels = (Array.isArray(r) ? r : r.items).map((i) => i.label);
    expect(labels).toEqual(expect.arrayContaining(['serviceAccountName', 'imagePullSecrets', 'autoscaling', 'ingress']));
    expect(labels).not.toContain('replicas'); // already present
  }, 30_000);
});
