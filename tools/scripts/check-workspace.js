#!/usr/bin/env node
// Lint and typecheck of the whole workspace in one pass: what CI runs (`npm run check`).
//
// `nx run-many -t lint typecheck` builds a TypeScript program per project and target, each re-reading
// the libraries its project imports: on a 2-core machine from a clean clone that took 444 s
// (2026-12-02: typecheck 175 s, lint 269 s). Here one program covers every file outside the portal's
// Angular sources (tsconfig.workspace.json, ESLint through eslint.workspace.mjs), and a project is
// checked on its own only when its compiler options differ from that program's: the portal (ngc),
// and the services whose tsconfig leaves out jest's types (so production code cannot use them).
// The per-project nx targets stay for a quick check of one project.
const { spawn } = require('node:child_process');
const { readdirSync, readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..', '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
/** The compiler options a project's tsconfig adds to tsconfig.base.json when the workspace program covers it. */
const WORKSPACE_OPTIONS = JSON.stringify({ types: ['node', 'jest'] });

function projectFiles(dir) {
  const found = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...projectFiles(path));
    else if (entry === 'project.json') found.push(path);
  }
  return found;
}

/** A project's typecheck commands that the workspace program does not already stand for. */
function ownTypechecks(projectFile) {
  const target = JSON.parse(readFileSync(projectFile, 'utf8')).targets?.typecheck?.options ?? {};
  const commands = target.commands ?? (target.command ? [target.command] : []);
  return commands.filter((command) => {
    const tsc = /^tsc -p (\S+) --noEmit$/.exec(command);
    if (!tsc) return true;
    // tsconfig files may hold comments; these hold none, and a parse error keeps the check separate.
    try {
      const options = JSON.parse(readFileSync(join(root, tsc[1]), 'utf8')).compilerOptions ?? {};
      return JSON.stringify(options) !== WORKSPACE_OPTIONS;
    } catch {
      return true;
    }
  });
}

/** Runs one command; its output, kept, is printed at its end if it failed, so parallel output does not interleave. */
function run(label, command, args) {
  const startedAt = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env: { ...process.env, FORCE_COLOR: '0' } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => {
      const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
      // Without nx's cached project graph, @nx/enforce-module-boundaries is skipped with a warning only.
      const skippedBoundaries = /No cached ProjectGraph/.test(output);
      const ok = code === 0 && !skippedBoundaries;
      // A check that passed has nothing to say but its time (nx lists the projects it found).
      process.stdout.write(`== ${label}: ${ok ? 'ok' : 'FAILED'} in ${seconds} s\n${ok ? '' : output}`);
      if (skippedBoundaries)
        process.stdout.write('module boundaries were not checked: no nx project graph\n');
      resolve(ok);
    });
  });
}

async function typecheck() {
  const separate = projectFiles(join(root, 'apps'))
    .concat(projectFiles(join(root, 'libs')), projectFiles(join(root, 'tools')))
    .flatMap(ownTypechecks);
  let ok = await run('tsc over the workspace (tsconfig.workspace.json)', bin('tsc'), [
    '-p',
    'tsconfig.workspace.json',
    '--noEmit',
  ]);
  for (const command of separate) {
    const [name, ...args] = command.split(' ');
    ok = (await run(command, bin(name), args)) && ok;
  }
  return ok;
}

async function main() {
  // Computes and caches the project graph the module-boundaries rule reads.
  const graph = await run('nx project graph', bin('nx'), ['show', 'projects']);
  const lint = run('ESLint over the workspace (eslint.workspace.mjs)', bin('eslint'), [
    '--config',
    'eslint.workspace.mjs',
    '--max-warnings',
    '0',
    'apps',
    'libs',
    'tools',
  ]);
  const results = [graph, await typecheck(), await lint];
  const ok = results.every(Boolean);
  process.stdout.write(`\n${ok ? 'workspace checks passed' : 'workspace checks FAILED'}\n`);
  process.exit(ok ? 0 : 1);
}

void main();
