/**
 * `#{Name}` in a bash script without ever putting a value into the script's text.
 *
 * Each `#{Name}` that names a variable becomes a reference to an environment variable holding the
 * value (`__VALUE_1`...), quoted for where it stands: bash expands a reference but never parses
 * what it expands to as code, so `$(touch /tmp/pwned)`, backticks or quotes in a value stay text.
 * The quoting follows a small reading of bash's quoting (plain words, '...', "...", $'...',
 * comments, here-documents). Misreading it could only change how a value is split or quoted,
 * never let the value run: the value is not in the text.
 *
 * The one exception is a quoted here-document (`<<'EOF'`), whose body bash never expands: the
 * value is written there as text, which bash never runs either, unless it holds a line that
 * would end the here-document early; such a value is refused.
 */
export interface ShellSubstitution {
  /** The script with every known `#{Name}` replaced by a quoted reference. */
  script: string;
  /** The references' values, to pass to the script as its environment. */
  environment: Record<string, string>;
}

type Context = 'plain' | 'single' | 'double' | 'ansi' | 'comment';

interface PendingHeredoc {
  delimiter: string;
  /** A quoted delimiter: the body is taken literally, nothing expands in it. */
  literal: boolean;
  /** `<<-`: leading tabs are stripped from the body and the closing line. */
  stripTabs: boolean;
}

const TOKEN = /^#\{([^{}]+)\}/;
/** Characters after which a `#` starts a comment (bash: at the start of a word). */
const WORD_BREAK = new Set(['', ' ', '\t', '\n', ';', '&', '|', '(', ')', '<', '>']);
const DELIMITER_END = /[\s;&|<>()]/;

export const SUBSTITUTION_REFERENCE_PREFIX = '__VALUE_';

export function substituteForShell(
  text: string,
  lookup: (name: string) => string | undefined,
): ShellSubstitution {
  return new ShellSubstituter(text, lookup).run();
}

class ShellSubstituter {
  private readonly out: string[] = [];
  private readonly environment: Record<string, string> = {};
  private readonly references = new Map<string, string>();
  private readonly pending: PendingHeredoc[] = [];
  private context: Context = 'plain';
  private index = 0;
  /** Inside `(( ))` / `$(( ))`, where `<<` is a shift, not a here-document. */
  private arithmeticDepth = 0;

  constructor(
    private readonly text: string,
    private readonly lookup: (name: string) => string | undefined,
  ) {}

  run(): ShellSubstitution {
    while (this.index < this.text.length) {
      if (this.context === 'plain' && this.atLineStart() && this.pending.length > 0) this.heredocBody();
      else this.step();
    }
    return { script: this.out.join(''), environment: this.environment };
  }

  private atLineStart(): boolean {
    return this.index > 0 && this.text[this.index - 1] === '\n';
  }

  /** One character (or token) outside a here-document body. */
  private step(): void {
    const { text, index } = this;
    const char = text[index];
    if (char === '#' && this.substituteToken(this.referenceFor(this.context))) return;
    switch (this.context) {
      case 'comment':
        if (char === '\n') this.context = 'plain';
        return this.copy(1);
      case 'single':
        if (char === "'") this.context = 'plain';
        return this.copy(1);
      case 'ansi':
        if (char === '\\') return this.copy(2);
        if (char === "'") this.context = 'plain';
        return this.copy(1);
      case 'double':
        if (char === '\\') return this.copy(2);
        if (char === '"') this.context = 'plain';
        return this.copy(1);
      case 'plain':
        return this.plain(char);
    }
  }

  private plain(char: string): void {
    const { text, index } = this;
    if (char === '\\') return this.copy(2);
    if (char === "'") {
      this.context = 'single';
      return this.copy(1);
    }
    if (char === '"') {
      this.context = 'double';
      return this.copy(1);
    }
    if (char === '$' && text[index + 1] === "'") {
      this.context = 'ansi';
      return this.copy(2);
    }
    if (char === '#' && WORD_BREAK.has(text[index - 1] ?? '')) {
      this.context = 'comment';
      return this.copy(1);
    }
    if (char === '(' && text[index + 1] === '(') {
      this.arithmeticDepth += 1;
      return this.copy(2);
    }
    if (char === ')' && text[index + 1] === ')' && this.arithmeticDepth > 0) {
      this.arithmeticDepth -= 1;
      return this.copy(2);
    }
    if (char === '<' && text[index + 1] === '<' && text[index + 2] !== '<' && this.arithmeticDepth === 0)
      return this.heredocOperator();
    this.copy(1);
  }

  /** `<<[-] WORD`: copied as written; its body starts on the next line. */
  private heredocOperator(): void {
    const { text } = this;
    let cursor = this.index + 2;
    const stripTabs = text[cursor] === '-';
    if (stripTabs) cursor += 1;
    while (text[cursor] === ' ' || text[cursor] === '\t') cursor += 1;
    let delimiter = '';
    let literal = false;
    while (cursor < text.length && !DELIMITER_END.test(text[cursor])) {
      const char = text[cursor];
      if (char === "'" || char === '"') {
        literal = true;
        const close = text.indexOf(char, cursor + 1);
        const end = close === -1 ? text.length : close;
        delimiter += text.slice(cursor + 1, end);
        cursor = end + 1;
      } else if (char === '\\') {
        literal = true;
        delimiter += text[cursor + 1] ?? '';
        cursor += 2;
      } else {
        delimiter += char;
        cursor += 1;
      }
    }
    if (delimiter) this.pending.push({ delimiter, literal, stripTabs });
    this.copy(cursor - this.index);
  }

  /** The body of the first pending here-document, through its closing line. */
  private heredocBody(): void {
    const heredoc = this.pending.shift() as PendingHeredoc;
    while (this.index < this.text.length) {
      const newline = this.text.indexOf('\n', this.index);
      const end = newline === -1 ? this.text.length : newline + 1;
      const line = this.text.slice(this.index, end);
      const bare = line.replace(/\r?\n$/, '');
      if ((heredoc.stripTabs ? bare.replace(/^\t+/, '') : bare) === heredoc.delimiter) {
        this.copy(end - this.index);
        return;
      }
      this.heredocLine(end, heredoc);
    }
  }

  private heredocLine(end: number, heredoc: PendingHeredoc): void {
    while (this.index < end) {
      const substituted =
        this.text[this.index] === '#' &&
        this.substituteToken((reference, name, value) => {
          if (!heredoc.literal) return `\${${reference}}`;
          assertCannotEndHeredoc(name, value, heredoc);
          return value;
        });
      if (substituted) continue;
      if (!heredoc.literal && this.text[this.index] === '\\') this.copy(Math.min(2, end - this.index));
      else this.copy(1);
    }
  }

  /** Replaces a known `#{Name}` at the cursor; false (nothing consumed) for anything else. */
  private substituteToken(render: (reference: string, name: string, value: string) => string): boolean {
    const match = TOKEN.exec(this.text.slice(this.index, this.index + 4096));
    if (!match) return false;
    const name = match[1].trim();
    const value = this.lookup(name);
    if (value === undefined) return false;
    this.out.push(render(this.reference(name, value), name, value));
    this.index += match[0].length;
    return true;
  }

  private referenceFor(context: Context): (reference: string) => string {
    switch (context) {
      case 'plain':
        return (reference) => `"\${${reference}}"`;
      case 'single':
        return (reference) => `'"\${${reference}}"'`;
      case 'ansi':
        return (reference) => `'"\${${reference}}"$'`;
      case 'double':
      case 'comment':
        return (reference) => `\${${reference}}`;
    }
  }

  private reference(name: string, value: string): string {
    let reference = this.references.get(name);
    if (!reference) {
      reference = `${SUBSTITUTION_REFERENCE_PREFIX}${this.references.size + 1}`;
      this.references.set(name, reference);
      this.environment[reference] = value;
    }
    return reference;
  }

  private copy(count: number): void {
    this.out.push(this.text.slice(this.index, this.index + count));
    this.index += count;
  }
}

function assertCannotEndHeredoc(name: string, value: string, heredoc: PendingHeredoc): void {
  const ends = value
    .split('\n')
    .some(
      (line) =>
        (heredoc.stripTabs ? line.replace(/^\t+/, '') : line).replace(/\r$/, '') === heredoc.delimiter,
    );
  if (ends)
    throw new Error(
      `#{${name}} cannot be used in the here-document ending with ${heredoc.delimiter}: its value holds a line that would end it`,
    );
}
