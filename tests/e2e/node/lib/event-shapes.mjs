// Checks realtime server events against the shapes openai-node's own type declarations give them
// (node_modules/openai/resources/realtime/realtime.d.ts, the GA types): every required field is
// present, literal unions hold one of their values, primitives have their type, and nested
// interfaces, arrays and unions are checked the same way. Read from the installed package, so a
// new SDK version brings its own rules. A null in an optional field counts as absent: OpenAI
// sends such nulls (`transcript: null` before recognition) and the SDKs' own runtime schemas
// require some of them (@openai/agents-realtime reads an input_audio part's transcript as
// `z.string().nullable()`), although the declarations only say `transcript?: string`.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const DECLARATIONS = join(dirname(require.resolve('openai')), 'resources/realtime/realtime.d.ts');

/** name -> {fields: [{name, optional, type}]} for interfaces, name -> type text for aliases. */
function parseDeclarations(source) {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const interfaces = new Map();
  const aliases = new Map();
  const scan = (body, prefix) => {
    const pattern = /(?:export\s+)?(?:declare\s+)?(interface|namespace|type)\s+(\w+)(?:<[^>]*>)?\s*(?:extends\s+[\w.,\s]+)?\s*(=|\{)/g;
    let match;
    while ((match = pattern.exec(body))) {
      const [, kind, name, opener] = match;
      const full = prefix ? `${prefix}.${name}` : name;
      if (kind === 'type' && opener === '=') {
        const end = statementEnd(body, pattern.lastIndex);
        aliases.set(full, body.slice(pattern.lastIndex, end).trim());
        pattern.lastIndex = end + 1;
        continue;
      }
      const close = matchingBrace(body, pattern.lastIndex - 1);
      const inner = body.slice(pattern.lastIndex, close);
      if (kind === 'interface') interfaces.set(full, { fields: fieldsOf(inner) });
      else if (kind === 'namespace') scan(inner, full);
      pattern.lastIndex = close + 1;
    }
  };
  scan(text, '');
  return { interfaces, aliases };
}

function matchingBrace(text, open) {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
  }
  return text.length;
}

/** Where a statement starting at `from` ends: its `;` outside braces, brackets and parentheses. */
function statementEnd(text, from) {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if ('{[(<'.includes(c)) depth++;
    else if ('}])>'.includes(c)) depth--;
    else if (c === ';' && depth === 0) return i;
  }
  return text.length;
}

function fieldsOf(body) {
  const fields = [];
  let at = 0;
  while (at < body.length) {
    const end = statementEnd(body, at);
    const statement = body.slice(at, end).trim();
    at = end + 1;
    const field = /^(\w+)(\?)?\s*:\s*([\s\S]+)$/.exec(statement);
    if (field) fields.push({ name: field[1], optional: Boolean(field[2]), type: field[3].trim() });
  }
  return fields;
}

/** The top-level `|` alternatives of a type expression. */
function alternatives(type) {
  const parts = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < type.length; i++) {
    const c = type[i];
    if ('{[(<'.includes(c)) depth++;
    else if ('}])>'.includes(c)) depth--;
    else if (c === '|' && depth === 0) {
      parts.push(type.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(type.slice(start).trim());
  return parts.filter(Boolean);
}

export class EventShapes {
  constructor(source = readFileSync(DECLARATIONS, 'utf8')) {
    const { interfaces, aliases } = parseDeclarations(source);
    this.interfaces = interfaces;
    this.aliases = aliases;
    // Server events by their `type` literal.
    this.byType = new Map();
    for (const name of alternatives(aliases.get('RealtimeServerEvent') ?? '')) {
      const shape = interfaces.get(name);
      const literal = shape?.fields.find((f) => f.name === 'type')?.type.match(/^'([^']+)'$/);
      if (literal) this.byType.set(literal[1], name);
    }
  }

  /** Problems with `event`, as `path: what` strings; empty when it matches its declared shape. */
  problems(event) {
    const name = this.byType.get(event.type);
    if (!name) return [`${event.type}: not a server event openai-node declares`];
    return this.#check(event, name, event.type, 0);
  }

  #check(value, type, path, depth) {
    if (depth > 12) return [];
    const options = alternatives(type);
    if (value === null) return options.includes('null') ? [] : [`${path}: null where ${type} is declared`];
    const results = options.filter((o) => o !== 'null').map((o) => this.#checkOne(value, o, path, depth));
    if (results.some((r) => r.length === 0) || results.length === 0) return [];
    return results.length === 1 ? results[0] : [`${path}: matches none of ${type} (${results.flat()[0]})`];
  }

  #checkOne(value, type, path, depth) {
    type = type.replace(/^\((.*)\)$/s, '$1').trim();
    const literal = type.match(/^'([^']*)'$/) ?? type.match(/^"([^"]*)"$/);
    if (literal) return value === literal[1] ? [] : [`${path}: '${value}' is not '${literal[1]}'`];
    if (/^-?\d+(\.\d+)?$/.test(type)) return value === Number(type) ? [] : [`${path}: ${value} is not ${type}`];
    if (['string', 'number', 'boolean'].includes(type)) {
      return typeof value === type ? [] : [`${path}: ${JSON.stringify(value)} is not a ${type}`];
    }
    if (type.startsWith('string &')) return typeof value === 'string' ? [] : [`${path}: not a string`];
    const array = type.match(/^Array<(.+)>$/s) ?? type.match(/^(.+)\[\]$/s);
    if (array) {
      if (!Array.isArray(value)) return [`${path}: not an array`];
      return value.flatMap((item, i) => this.#check(item, array[1], `${path}[${i}]`, depth + 1));
    }
    const shape = this.interfaces.get(type);
    if (shape) {
      if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: not an object (${type})`];
      return shape.fields.flatMap((field) => {
        const inner = value[field.name];
        if (inner === undefined) return field.optional ? [] : [`${path}.${field.name}: missing (${type})`];
        if (inner === null && field.optional) return [];
        return this.#check(inner, field.type, `${path}.${field.name}`, depth + 1);
      });
    }
    if (this.aliases.has(type)) return this.#check(value, this.aliases.get(type), path, depth + 1);
    // Anything else (unknown, index signatures, object literals, generics) is not checked.
    return [];
  }
}
