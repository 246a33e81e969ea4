import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config.js';
import { CONFIG_SCHEMA, envExample } from '../../src/config-variables.js';

/**
 * The container set-up read as Docker reads it: docker-compose.yml parsed with `yaml`, the Dockerfile
 * split into its stages and instructions, both checked against the config module's variables.
 */
interface Service {
  image?: string;
  profiles?: string[];
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  env_file?: string | string[];
  ports?: string[];
  volumes?: string[];
}

const compose = parse(readFileSync('docker-compose.yml', 'utf8')) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;
const variables = new Set<string>(CONFIG_VARIABLES);

/** The Dockerfile's stages, each a list of [INSTRUCTION, rest] with continuation lines joined. */
function dockerfileStages(text: string): Array<{ from: string; steps: Array<[string, string]> }> {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const stages: Array<{ from: string; steps: Array<[string, string]> }> = [];
  for (const line of lines) {
    const [, instruction = '', rest = ''] = /^(\S+)\s+(.*)$/.exec(line) ?? [];
    if (instruction === 'FROM') stages.push({ from: rest, steps: [] });
    else stages.at(-1)?.steps.push([instruction, rest]);
  }
  return stages;
}
const stages = dockerfileStages(readFileSync('Dockerfile', 'utf8'));
const runtime = stages.at(-1);

describe('CONFIG_VARIABLES', () => {
  it('lists every variable config.ts reads, and .env.example documents each one', () => {
    const source = readFileSync('src/config.ts', 'utf8');
    const read = new Set([...source.matchAll(/\(\s*env,\s*'([A-Z0-9_]+)'/g)].map((match) => match[1]));
    expect([...read].sort()).toEqual([...variables].sort());
    const example = readFileSync('.env.example', 'utf8');
    const documented = new Set([...example.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1]));
    expect([...variables].filter((name) => !documented.has(name))).toEqual([]);
    expect([...documented].filter((name) => !variables.has(name as never))).toEqual([]);
  });

  it(".env.example is the one written from the settings' definitions, defaults included", () => {
    // Regenerate with: npm run -s cli -- config example > .env.example
    expect(readFileSync('.env.example', 'utf8')).toBe(envExample());
    // A default written in the definitions is the one a process runs with: a few, end to end.
    const bare = loadConfig({});
    expect(String(bare.port)).toBe(CONFIG_SCHEMA.PORT.default);
    expect(String(bare.sms.maxPerSecond)).toBe(CONFIG_SCHEMA.SMS_MAX_PER_SECOND.default);
    expect(bare.joinKeywords.join(',')).toBe(CONFIG_SCHEMA.JOIN_KEYWORDS.default);
    expect(bare.orgName).toBe(CONFIG_SCHEMA.ORG_NAME.default);
    expect(bare.queuePrefix).toBe(CONFIG_SCHEMA.QUEUE_PREFIX.default);
  });

  it('PUBLIC_BASE_URL follows PORT unless it is set', () => {
    expect(loadConfig({ PORT: '4123' }).publicBaseUrl).toBe('http://localhost:4123');
    expect(loadConfig({}).publicBaseUrl).toBe('http://localhost:3000');
    expect(loadConfig({ PORT: '4123', PUBLIC_BASE_URL: 'https://p.example.org/' }).publicBaseUrl).toBe(
      'https://p.example.org',
    );
  });

  it('.env.example does not set NODE_ENV, so a copied .env cannot undo production', () => {
    expect(readFileSync('.env.example', 'utf8')).not.toMatch(/^NODE_ENV=/m);
  });
});

describe('docker-compose.yml', () => {
  it('runs Postgres with a volume, Redis with its append-only file, a proxy, web and worker', () => {
    const always = Object.keys(services).filter((name) => !services[name]?.profiles);
    expect(always.sort()).toEqual(['postgres', 'proxy', 'redis', 'web', 'worker']);
    expect(services.postgres?.volumes?.some((v) => v.endsWith(':/var/lib/postgresql/data'))).toBe(true);
    const redis = services.redis?.command?.join(' ') ?? '';
    expect(redis).toContain('--appendonly yes');
    expect(redis).toContain('--maxmemory-policy noeviction');
    expect(services.redis?.volumes?.some((v) => v.endsWith(':/data'))).toBe(true);
    for (const volume of [...(services.postgres?.volumes ?? []), ...(services.redis?.volumes ?? [])]) {
      expect(compose.volumes).toHaveProperty(volume.split(':')[0] as string);
    }
  });

  it('lets web scale: only the proxy publishes a port, and it forwards to web', () => {
    expect(services.web?.ports).toBeUndefined();
    expect(services.worker?.ports).toBeUndefined();
    expect(services.proxy?.ports).toHaveLength(1);
    expect(services.proxy?.command?.join(' ')).toContain('--to web:3000');
    expect(services.web?.environment?.PORT).toBe('3000');
    // The proxy appends the client's address; the app believes exactly that one hop.
    expect(services.web?.environment?.TRUST_PROXY).toBe('1');
  });

  it('runs the compiled entry point of each role, with NODE_ENV=production that .env cannot undo', () => {
    for (const [name, role] of [
      ['web', 'web'],
      ['worker', 'worker'],
    ] as const) {
      const service = services[name] as Service;
      expect(service.build).toBe('.');
      expect(service.command).toEqual(['node', 'dist/src/server.js', role]);
      expect(existsSync('src/server.ts')).toBe(true);
      // environment: wins over env_file in Compose, so .env may hold NODE_ENV=development harmlessly.
      expect(service.env_file).toBe('.env');
      expect(service.environment?.NODE_ENV).toBe('production');
      for (const key of Object.keys(service.environment ?? {})) expect(variables).toContain(key);
    }
  });

  it('shares one outbox volume between web and worker, mounted where the image makes it for node', () => {
    const mount = (name: string) => services[name]?.volumes?.find((v) => v.includes(':/app/var/outbox'));
    expect(mount('web')).toBeDefined();
    expect(mount('web')).toBe(mount('worker'));
    expect(compose.volumes).toHaveProperty((mount('web') as string).split(':')[0] as string);
    for (const name of ['web', 'worker']) {
      expect(services[name]?.environment?.FAX_OUTBOX_DIR).toBe('/app/var/outbox');
    }
    const run = runtime?.steps.filter(([instruction]) => instruction === 'RUN').map(([, rest]) => rest);
    expect(run?.join(' ')).toMatch(
      /mkdir -p \/app\/var\/outbox \/app\/var\/spool && chown -R node:node \/app\/var/,
    );
    const user = runtime?.steps.filter(([instruction]) => instruction === 'USER');
    expect(user?.at(-1)?.[1]).toBe('node');
  });
});

describe('the monitoring profile', () => {
  const monitoring = Object.keys(services).filter((name) => services[name]?.profiles?.includes('monitoring'));
  const prometheus = parse(readFileSync('deploy/prometheus/prometheus.yml', 'utf8')) as {
    rule_files: string[];
    alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
    scrape_configs: Array<{ job_name: string; dns_sd_configs: Array<{ names: string[]; port: number }> }>;
  };

  it('runs Prometheus, Alertmanager and Grafana, each mounting files that exist here', () => {
    expect(monitoring.sort()).toEqual(['alertmanager', 'grafana', 'prometheus']);
    for (const name of monitoring) {
      for (const volume of services[name]?.volumes ?? []) {
        const [source = ''] = volume.split(':');
        if (source.startsWith('./')) expect(existsSync(source), `${name} mounts ${source}`).toBe(true);
        else expect(compose.volumes).toHaveProperty(source);
      }
      // Their pages have no sign-in of their own (Grafana's aside): published on this host only.
      for (const port of services[name]?.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/);
    }
  });

  it('scrapes every web replica on PORT and every worker replica on METRICS_PORT', () => {
    const jobs = Object.fromEntries(
      prometheus.scrape_configs.map((job) => [job.job_name, job.dns_sd_configs[0]]),
    );
    expect(jobs['pocket-protest-web']).toMatchObject({
      names: ['web'],
      port: Number(services.web?.environment?.PORT),
    });
    expect(jobs['pocket-protest-worker']).toMatchObject({
      names: ['worker'],
      port: Number(services.worker?.environment?.METRICS_PORT),
    });
    expect(loadConfig({}).metricsPort).toBe(9464);
    expect(prometheus.rule_files).toEqual(['alerts.yml']);
    expect(prometheus.alerting.alertmanagers[0]?.static_configs[0]?.targets).toEqual(['alertmanager:9093']);
  });

  it('gives Grafana the data source the dashboard names, and the dashboard where its provider looks', () => {
    const datasource = parse(
      readFileSync('deploy/grafana/provisioning/datasources/prometheus.yml', 'utf8'),
    ) as { datasources: Array<{ uid: string; url: string }> };
    expect(datasource.datasources[0]).toMatchObject({ uid: 'prometheus', url: 'http://prometheus:9090' });
    const provider = parse(
      readFileSync('deploy/grafana/provisioning/dashboards/pocket-protest.yml', 'utf8'),
    ) as {
      providers: Array<{ options: { path: string } }>;
    };
    const path = provider.providers[0]?.options.path;
    expect(services.grafana?.volumes).toContain(
      `./deploy/grafana/pocket-protest.json:${path}/pocket-protest.json:ro`,
    );
    const dashboard = JSON.parse(readFileSync('deploy/grafana/pocket-protest.json', 'utf8')) as {
      panels: Array<{ type: string; datasource?: { uid: string } }>;
    };
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource?.uid).toBe('prometheus');
    }
  });

  it('passes promtool check config', () => {
    const run = spawnSync('promtool', ['check', 'config', 'deploy/prometheus/prometheus.yml'], {
      encoding: 'utf8',
    });
    expect(`${run.stdout}${run.stderr}`).toContain('is valid prometheus config file syntax');
    expect(run.status).toBe(0);
  });
});

describe('Dockerfile', () => {
  it('compiles in a build stage and runs node on dist/ from Node 22 LTS, with no tsx', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage.from).toMatch(/^node:22-[a-z]+-slim\b/);
    const build = stages.find((stage) =>
      stage.steps.some(([i, rest]) => i === 'RUN' && rest === 'npm run build'),
    );
    expect(build?.from).toMatch(/ AS build$/);
    const copies =
      runtime?.steps.filter(([instruction]) => instruction === 'COPY').map(([, rest]) => rest) ?? [];
    expect(copies).toContain('--from=build /app/dist ./dist');
    expect(JSON.parse(runtime?.steps.find(([i]) => i === 'CMD')?.[1] ?? '[]')).toEqual([
      'node',
      'dist/src/server.js',
      'all',
    ]);
    expect(readFileSync('Dockerfile', 'utf8')).not.toMatch(/^\s*(CMD|ENTRYPOINT|RUN).*\btsx\b/m);
    // The runtime installs no dev dependencies.
    const deps = stages.find((stage) => stage.steps.some(([, rest]) => rest.includes('--omit=dev')));
    expect(copies.some((copy) => copy.startsWith(`--from=${deps?.from.split(' AS ')[1]} `))).toBe(true);
  });

  it('caps the heap of every process the image runs, so garbage cannot grow past the design', () => {
    const env = runtime?.steps.filter(([instruction]) => instruction === 'ENV').map(([, rest]) => rest) ?? [];
    const options = /NODE_OPTIONS="([^"]*)"/.exec(env.join(' '))?.[1] ?? '';
    const cap = (flag: string) => Number(new RegExp(`(?:^| )--${flag}=(\\d+)(?: |$)`).exec(options)?.[1]);
    // What a million-member import, fax batch and export were measured under (README, the scale bench).
    expect(cap('max-old-space-size')).toBeGreaterThanOrEqual(128);
    expect(cap('max-old-space-size')).toBeLessThanOrEqual(192);
    expect(cap('max-semi-space-size')).toBe(8);
  });

  it('puts the migrations where the compiled migrator looks for them', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.build).toContain('tsc -p tsconfig.build.json');
    expect(pkg.scripts.build).toContain('cp -R migrations dist/migrations');
    // src/db/migrate.ts resolves ../../migrations from itself: dist/src/db/ → dist/migrations.
    expect(readFileSync('src/db/migrate.ts', 'utf8')).toContain(
      "new URL('../../migrations', import.meta.url)",
    );
    const tsconfig = JSON.parse(readFileSync('tsconfig.build.json', 'utf8')) as {
      compilerOptions: { outDir: string; rootDir: string };
    };
    expect(tsconfig.compilerOptions).toMatchObject({ outDir: 'dist', rootDir: '.' });
  });

  it('keeps .env and local state out of the build context', () => {
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n');
    for (const entry of ['.env', 'node_modules', 'var', 'dist']) expect(ignored).toContain(entry);
  });
});
