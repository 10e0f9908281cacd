/**
 * Broken projects, ESLint-RuleTester style: each row breaks the base project one way and
 * asserts the exit code, the diagnostic codes at file:line, no stack trace, and no file written.
 */
import { describe, expect, it } from 'vitest';
import { baseProject, cli, DIGEST, makeProject, snapshot } from './helpers/project.js';

type Files = Record<string, string>;
interface Case {
  name: string;
  edit: (f: Files) => void;
  command?: string[];
  exit: number;
  /** [code, file, line] of every error, in output order */
  want: [string, string | null, number | null][];
}

const web = (f: Files, from: string, to: string) => {
  if (!f['services/web.yaml']!.includes(from)) throw new Error(`test bug: ${from} not in web.yaml`);
  f['services/web.yaml'] = f['services/web.yaml']!.replace(from, to);
};
const cfg = (f: Files, from: string, to: string) => {
  if (!f['gitopsc.config.yaml']!.includes(from)) throw new Error(`test bug: ${from} not in config`);
  f['gitopsc.config.yaml'] = f['gitopsc.config.yaml']!.replace(from, to);
};

const cases: Case[] = [
  { name: 'syntax error', edit: (f) => web(f, '  name: web', '  name: [web'), exit: 1, want: [['YAML_SYNTAX', 'services/web.yaml', 5]] },
  { name: 'duplicate key', edit: (f) => web(f, '    replicas: 2', '    replicas: 2\n    replicas: 3'), exit: 1, want: [['YAML_SYNTAX', 'services/web.yaml', 12]] },
  { name: 'two documents', edit: (f) => (f['services/web.yaml'] += '---\na: 1\n'), exit: 1, want: [['YAML_SYNTAX', 'services/web.yaml', 14]] },
  { name: 'anchor and alias', edit: (f) => web(f, '    replicas: 2', '    replicas: &r 2\n    x: *r'), exit: 1, want: [['YAML_SYNTAX', 'services/web.yaml', 11], ['YAML_SYNTAX', 'services/web.yaml', 12]] },
  { name: 'custom tag', edit: (f) => web(f, '  name: web', '  name: !Ref web'), exit: 1, want: [['YAML_SYNTAX', 'services/web.yaml', 4]] },
  { name: 'YAML 1.1 directive', edit: (f) => (f['services/web.yaml'] = '%YAML 1.1\n---\n' + f['services/web.yaml']), exit: 1, want: [['YAML_SYNTAX', 'services/web.yaml', 1]] },
  { name: '__proto__ key', edit: (f) => web(f, '  name: web', '  name: web\n  __proto__: { polluted: yes }'), exit: 1, want: [['SCHEMA', 'services/web.yaml', 5]] },
  { name: 'constructor key', edit: (f) => web(f, '    replicas: 2', '    replicas: 2\n    constructor: 1'), exit: 1, want: [['SCHEMA', 'services/web.yaml', 12]] },
  { name: 'constructor key in the config', edit: (f) => cfg(f, '  - name: dev\n', '  - name: dev\n    constructor: x\n'), exit: 1, want: [['SCHEMA', 'gitopsc.config.yaml', 3]] },
  { name: 'misspelled key', edit: (f) => web(f, 'replicas: 2', 'replicsa: 2'), exit: 1, want: [['SCHEMA', 'services/web.yaml', 11]] },
  { name: 'bad DNS name', edit: (f) => web(f, 'name: web', 'name: Web_Svc'), exit: 1, want: [['SCHEMA', 'services/web.yaml', 4]] },
  { name: 'numeric range', edit: (f) => web(f, 'range: "^1.2"', 'range: 1.10'), exit: 1, want: [['SCHEMA', 'services/web.yaml', 9]] },
  { name: 'negative replicas', edit: (f) => web(f, 'replicas: 2', 'replicas: -1'), exit: 1, want: [['SCHEMA', 'services/web.yaml', 11]] },
  { name: 'unknown registry', edit: (f) => web(f, 'registry: local', 'registry: locl'), exit: 1, want: [['UNKNOWN_REGISTRY', 'services/web.yaml', 7]] },
  { name: 'invalid range', edit: (f) => web(f, 'range: "^1.2"', 'range: "^1.x.y.z"'), exit: 1, want: [['INVALID_RANGE', 'services/web.yaml', 9]] },
  { name: 'hyphen range touching || (Masterminds refuses it)', edit: (f) => web(f, 'range: "^1.2"', 'range: "1.0.0 - 2.0.0||3.0.0"'), exit: 1, want: [['INVALID_RANGE', 'services/web.yaml', 9]] },
  { name: 'unsatisfiable range', edit: (f) => web(f, 'range: "^1.2"', 'range: ">2 <1"'), exit: 1, want: [['INVALID_RANGE', 'services/web.yaml', 9]] },
  { name: 'invalid regex', edit: (f) => web(f, '{ strategy: semver, range: "^1.2" }', '{ strategy: alphabetical, regex: "([a-z" }'), exit: 1, want: [['INVALID_REGEX', 'services/web.yaml', 9]] },
  { name: 'regex backreference (RE2 has none)', edit: (f) => web(f, '{ strategy: semver, range: "^1.2" }', '{ strategy: alphabetical, regex: "^(a)\\\\1$" }'), exit: 1, want: [['INVALID_REGEX', 'services/web.yaml', 9]] },
  {
    name: 'ignore lookahead (RE2 has none)',
    edit: (f) => web(f, '    select: { strategy: semver, range: "^1.2" }', '    select:\n      strategy: semver\n      ignore:\n        - "^1"\n        - "^(?!1)"'),
    exit: 1,
    want: [['INVALID_REGEX', 'services/web.yaml', 13]],
  },
  { name: 'policy denyTags lookbehind (RE2 has none)', edit: (f) => (f['gitopsc.config.yaml'] += 'policies:\n  production:\n    denyTags: ["(?<=v)1"]\n'), exit: 1, want: [['INVALID_REGEX', 'gitopsc.config.yaml', 12]] },
  { name: 'range with alphabetical', edit: (f) => web(f, 'strategy: semver', 'strategy: alphabetical'), exit: 1, want: [['SCHEMA', 'services/web.yaml', 9]] },
  {
    name: 'undeclared environment override',
    edit: (f) => (f['services/web.yaml'] += '  environments:\n    staging:\n      kubernetes: { replicas: 1 }\n'),
    exit: 1,
    want: [['SCHEMA', 'services/web.yaml', 15]],
  },
  {
    name: 'duplicate service names, both files named',
    edit: (f) => (f['services/web2.yaml'] = f['services/web.yaml']!),
    exit: 1,
    want: [
      ['DUPLICATE_SERVICE', 'services/web.yaml', 4],
      ['DUPLICATE_SERVICE', 'services/web2.yaml', 4],
    ],
  },
  { name: 'lambda memory too small', edit: (f) => (f['services/fn.yaml'] = f['services/fn.yaml']!.replace('handler: index.handler', 'handler: index.handler\n    memorySize: 64')), exit: 1, want: [['SCHEMA', 'services/fn.yaml', 16]] },
  { name: 'lambda unsupported runtime', edit: (f) => (f['services/fn.yaml'] = f['services/fn.yaml']!.replace('nodejs22.x', 'nodejs12.x')), exit: 1, want: [['SCHEMA', 'services/fn.yaml', 14]] },
  { name: 'lambda reserved env', edit: (f) => (f['services/fn.yaml'] = f['services/fn.yaml']!.replace('    code:', '    environment: { AWS_REGION: x }\n    code:')), exit: 1, want: [['SCHEMA', 'services/fn.yaml', 17]] },
  { name: 'literal password in config', edit: (f) => cfg(f, '  local:\n', '  hub:\n    type: oci\n    url: https://registry.example.com\n    auth: { username: { env: U }, password: hunter2 }\n  local:\n'), exit: 1, want: [['SCHEMA', 'gitopsc.config.yaml', 9]] },
  { name: 'output dir escapes the project', edit: (f) => (f['gitopsc.config.yaml'] += 'output: { dir: ../../etc }\n'), exit: 1, want: [['SCHEMA', 'gitopsc.config.yaml', 10]] },
  { name: 'absolute catalog path', edit: (f) => cfg(f, 'path: catalog.yaml', 'path: /etc/passwd'), exit: 1, want: [['SCHEMA', 'gitopsc.config.yaml', 8]] },
  { name: 'no candidates', edit: (f) => web(f, 'range: "^1.2"', 'range: "^3"'), command: ['resolve'], exit: 1, want: [['NO_CANDIDATES', 'services/web.yaml', 9], ['NO_CANDIDATES', 'services/web.yaml', 9]] },
  { name: 'package not in catalog', edit: (f) => web(f, 'package: shop/web', 'package: shop/nope'), command: ['resolve'], exit: 1, want: [['PACKAGE_NOT_FOUND', 'services/web.yaml', 6], ['PACKAGE_NOT_FOUND', 'services/web.yaml', 6]] },
  {
    name: 'exact tag missing',
    edit: (f) => (f['services/fn.yaml'] = f['services/fn.yaml']!.replace('tag: "1.0.0"', 'tag: "9.9.9"')),
    command: ['resolve'],
    exit: 1,
    want: [['TAG_NOT_FOUND', 'services/fn.yaml', 11], ['TAG_NOT_FOUND', 'services/fn.yaml', 11]],
  },
  {
    name: 'exact digest mismatch',
    edit: (f) => (f['services/fn.yaml'] = f['services/fn.yaml']!.replace('tag: "1.0.0" }', `tag: "1.0.0", digest: "${DIGEST('f')}" }`)),
    command: ['resolve'],
    exit: 1,
    want: [['DIGEST_MISMATCH', 'services/fn.yaml', 11], ['DIGEST_MISMATCH', 'services/fn.yaml', 11]],
  },
  {
    name: 'policy: prerelease denied in production',
    edit: (f) => {
      web(f, 'range: "^1.2"', 'range: ">=2.0.0-0"');
      f['gitopsc.config.yaml'] += 'policies:\n  production: { allowPrerelease: false }\n';
    },
    command: ['resolve'],
    exit: 1,
    want: [['POLICY_VIOLATION', 'services/web.yaml', 6]],
  },
  { name: 'template: raw triple-stash refused', edit: (f) => {
      f['gitopsc.config.yaml'] += 'templates: tpl\n';
      f['tpl/kubernetes/configmap.yaml.hbs'] = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{{service.name}}}\n';
    }, exit: 1, want: [['TEMPLATE', 'tpl/kubernetes/configmap.yaml.hbs', 4]] },
  { name: 'template: missing variable', edit: (f) => {
      f['gitopsc.config.yaml'] += 'templates: tpl\n';
      f['tpl/kubernetes/configmap.yaml.hbs'] = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{service.nmae}}\n';
      // a path that no context has is found before any render, once (not once per service and environment)
    }, command: ['render'], exit: 1, want: [['TEMPLATE', 'tpl/kubernetes/configmap.yaml.hbs', 4]] },
  { name: 'template: a path through a missing object', edit: (f) => {
      f['gitopsc.config.yaml'] += 'templates: tpl\n';
      f['tpl/kubernetes/configmap.yaml.hbs'] = 'apiVersion: v1\nkind: ConfigMap\ndata:\n  path: {{spec.probes.readiness.httpGet.path}}\n';
    }, command: ['render'], exit: 1, want: [['TEMPLATE', 'tpl/kubernetes/configmap.yaml.hbs', 4], ['TEMPLATE', 'tpl/kubernetes/configmap.yaml.hbs', 4]] },
  { name: 'template: unknown helper', edit: (f) => {
      f['gitopsc.config.yaml'] += 'templates: tpl\n';
      f['tpl/kubernetes/configmap.yaml.hbs'] = 'apiVersion: v1\nkind: ConfigMap\ndata:\n  x: {{shout service.name}}\n';
    }, exit: 1, want: [['TEMPLATE', 'tpl/kubernetes/configmap.yaml.hbs', 4]] },
];

describe('broken projects', () => {
  it.each(cases)('$name', async (c) => {
    const files = baseProject();
    c.edit(files);
    const dir = makeProject(files);
    if (c.command?.[0] === 'render') {
      // render needs a lock: resolve first (templates are not involved in resolve)
      const r = await cli(dir, 'resolve');
      expect(r.code).toBe(0);
    }
    const before = snapshot(dir);
    const r = await cli(dir, ...(c.command ?? ['validate']), '--format', 'json');
    const errors = r.json.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.file, d.line]);
    expect(errors).toEqual(c.want);
    expect(r.code).toBe(c.exit);
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .*\.(ts|js):\d+/);
    expect(snapshot(dir)).toEqual(before);
  });
});
