import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { substituteForShell } from './shell-substitution';

/** Runs the substituted script in real bash and returns what it printed. */
function runInBash(script: string, variables: Record<string, string>): string {
  const substituted = substituteForShell(script, (name) => variables[name]);
  const result = spawnSync('bash', ['-c', substituted.script], {
    env: { PATH: process.env['PATH'], ...substituted.environment },
    encoding: 'utf8',
    // As the step runs it: stdin is not a socket (bash would then read ~/.bashrc).
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return result.stdout + result.stderr;
}

describe(substituteForShell.name, () => {
  let folder: string;
  let pwned: string;
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'flotilla-substitution-'));
    pwned = join(folder, 'pwned');
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('never puts a value into the script text, only a reference to the environment', () => {
    const result = substituteForShell('echo #{A} "#{A}" \'#{B}\'', (name) => ({ A: 'one', B: 'two' })[name]);
    expect(result.script).not.toContain('one');
    expect(result.script).not.toContain('two');
    expect(result.environment).toEqual({ __VALUE_1: 'one', __VALUE_2: 'two' });
  });

  it('gives the value where it stands: plain, double quoted, single quoted, $-quoted', () => {
    const variables = { Name: 'a b  c' };
    expect(runInBash('echo [#{Name}]', variables)).toBe('[a b  c]\n');
    expect(runInBash('echo "x #{Name} y"', variables)).toBe('x a b  c y\n');
    expect(runInBash("echo 'x #{Name} y'", variables)).toBe('x a b  c y\n');
    expect(runInBash("echo $'x\\t#{Name}'", variables)).toBe('x\ta b  c\n');
    // At the start of a word it is a value, not a comment.
    expect(runInBash('#{Command} hi', { Command: 'echo' })).toBe('hi\n');
  });

  it.each([
    ['command substitution', '$(touch PWNED)'],
    ['backticks', '`touch PWNED`'],
    ['a closing double quote', '"; touch PWNED; echo "'],
    ['a closing single quote', "'; touch PWNED; echo '"],
    ['a new line', 'x\ntouch PWNED'],
    ['a here-document end', 'x\nEOF\ntouch PWNED'],
  ])('a value with %s stays text in every context', (_what, payload) => {
    const value = payload.replace(/PWNED/g, pwned);
    const contexts = [
      'echo #{V}',
      'echo "#{V}"',
      "echo '#{V}'",
      "echo $'#{V}'",
      'echo `echo #{V}`',
      'echo "$(echo "#{V}")"',
      'cat <<EOF\n#{V}\nEOF',
      'cat <<-EOF\n\t#{V}\n\tEOF',
      "# it's a comment #{V}\necho #{V}",
    ];
    for (const script of contexts) {
      const output = runInBash(script, { V: value });
      expect({ script, pwned: existsSync(pwned) }).toEqual({ script, pwned: false });
      expect(output).toContain(value.split('\n')[0]);
    }
  });

  it('reads here-documents: expanded bodies get the value, apostrophes in them change nothing', () => {
    expect(runInBash("cat <<EOF\nit's #{V}\nEOF\necho after '#{V}'", { V: 'v' })).toBe("it's v\nafter v\n");
  });

  it('takes << in arithmetic for a shift, not a here-document', () => {
    expect(runInBash("echo $(( 1 << 2 )) '#{V}'\n(( x = 1 << 3 )); echo $x '#{V}'", { V: 'v' })).toBe(
      '4 v\n8 v\n',
    );
  });

  it('writes the value as text in a quoted here-document, where bash expands nothing', () => {
    expect(runInBash("cat <<'EOF'\n$HOME #{V}\nEOF", { V: '$(nothing runs)' })).toBe(
      '$HOME $(nothing runs)\n',
    );
  });

  it('refuses a value that would end a quoted here-document early', () => {
    expect(() => substituteForShell("cat <<'EOF'\n#{V}\nEOF", () => 'x\nEOF\nrm -rf /')).toThrow(
      '#{V} cannot be used in the here-document ending with EOF',
    );
  });

  it('leaves unknown names as written and trims names', () => {
    expect(runInBash('echo "#{ Known } #{Unknown}"', { Known: 'k' })).toBe('k #{Unknown}\n');
  });

  it('uses one reference per variable, however often it appears', () => {
    const result = substituteForShell('#{A} #{A} #{B}', (name) => name.toLowerCase());
    expect(result.script).toBe('"${__VALUE_1}" "${__VALUE_1}" "${__VALUE_2}"');
  });
});
