// Notes: an Astra cog written in JavaScript (ComponentizeJS), against wit/astra.wit.
//
// Why it exists: it shows that a cog needs no Rust. Members keep short personal notes:
// `/note add text:...`, `/note list`, `/note delete number:N`, or in chat `!note buy
// milk` (saved, with a 📝 reaction) and `!notes` (listed). Notes live in the host's
// `kv` store (scoped to the guild), so they survive restarts.
//
// Build: `./build.sh OUT.wasm` (npm ci once; componentize-js reads ../../wit, world
// `cog`). The host calls the functions exported below.
//
// Mapping of the WIT to JavaScript (ComponentizeJS 0.23, jco's conventions):
// - imports are ES modules named by interface and version: `astra:bot/kv@0.1.0`;
// - records are plain objects with camelCase fields (`msg.channelId`, `author.isBot`);
//   enums are kebab-case strings (`'normal'`, `'delete-messages'`); variants are
//   `{ tag, val }` (`{ tag: 'reply', val: 'hi' }`);
// - `option<T>` is the value or `undefined`;
// - 64-bit integers (`s64`, `u64`: kv counters, timestamps, integer options) are
//   BigInt; 32-bit ones are numbers;
// - `result<T, E>`: return the `ok` value; to return `err`, throw the error value
//   itself (`throw { tag: 'transient', val: 'why' }`). An import that returns `err`
//   throws an Error whose `payload` is the error value (`{ tag: 'store', val }`).
//   A thrown `Error` without `payload` is a trap: the host fails the message.

import * as kv from 'astra:bot/kv@0.1.0';
import { get as setting } from 'astra:bot/config@0.1.0';
import { log } from 'astra:bot/log@0.1.0';

const MAX_NOTE_CHARS = 500;

export function manifest() {
  return {
    name: 'notes',
    version: '0.1.0',
    description: 'Personal notes kept per member and server (a JavaScript cog)',
    capabilities: ['log', 'kv', 'config', 'reply', 'react'],
    commands: [
      {
        name: 'note add',
        description: 'Save a note',
        options: [{ name: 'text', description: 'what to remember', kind: 'text', required: true }],
        permission: 'everyone',
      },
      { name: 'note list', description: 'Your notes', options: [], permission: 'everyone' },
      {
        name: 'note delete',
        description: 'Delete one of your notes',
        options: [{ name: 'number', description: 'its number in /note list', kind: 'integer', required: true }],
        permission: 'everyone',
      },
    ],
    events: [],
  };
}

export function triage(msg) {
  if (msg.author.isBot) return undefined;
  const text = msg.content.trim();
  return text === '!notes' || text.startsWith('!note ') ? 'normal' : undefined;
}

export function handleMessage(msg) {
  const text = msg.content.trim();
  const user = msg.author.id;
  if (text === '!notes') {
    return [{ tag: 'reply', val: listText(user, msg.author.name) }];
  }
  const added = addNote(user, text.slice('!note '.length), msg.timestampMs);
  if (added.error) return [{ tag: 'reply', val: added.error }];
  return [{ tag: 'react', val: '📝' }];
}

export function handleCommand(cmd) {
  const user = cmd.invoker.id;
  switch (cmd.name) {
    case 'note add': {
      const added = addNote(user, option(cmd, 'text') ?? '', cmd.timestampMs);
      return reply(added.error ?? `Saved note #${added.number}.`);
    }
    case 'note list':
      return reply(listText(user, cmd.invoker.name));
    case 'note delete': {
      const number = Number(option(cmd, 'number') ?? 0n);
      const notes = listNotes(user);
      if (!Number.isInteger(number) || number < 1 || number > notes.length) {
        return reply(`You have no note #${number}; /note list shows their numbers.`);
      }
      call(() => kv.delete(notes[number - 1].key));
      return reply(`Deleted note #${number}: ${notes[number - 1].text}`);
    }
    default:
      // Not one of ours: a permanent handler-error (the err side of the WIT's result).
      throw { tag: 'permanent', val: `notes has no command /${cmd.name}` };
  }
}

export function onEvent(_event) {
  return [];
}

function addNote(user, text, timestampMs) {
  text = text.trim();
  if (!text) return { error: 'An empty note? Write `!note something to remember`.' };
  if (text.length > MAX_NOTE_CHARS) return { error: `Notes are at most ${MAX_NOTE_CHARS} characters.` };
  const limit = maxNotes();
  if (listNotes(user).length >= limit) {
    return { error: `You already have ${limit} notes; delete one with /note delete first.` };
  }
  // A per-user sequence number keeps notes in the order they were written.
  const seq = call(() => kv.increment(`seq:${user}`, 1n));
  const key = `note:${user}:${String(seq).padStart(8, '0')}`;
  call(() => kv.set(key, JSON.stringify({ text, at: String(timestampMs) })));
  const count = listNotes(user).length;
  log('info', `note ${key} saved`);
  return { number: count };
}

function listNotes(user) {
  return call(() => kv.listPrefix(`note:${user}:`, 1000)).map(([key, value]) => {
    let text = value;
    try {
      text = JSON.parse(value).text;
    } catch {
      // an older plain-text note
    }
    return { key, text };
  });
}

function listText(user, name) {
  const notes = listNotes(user);
  if (notes.length === 0) return `${name} has no notes yet.`;
  return `Notes of ${name}:\n` + notes.map((n, i) => `${i + 1}. ${n.text}`).join('\n');
}

/** `max_notes` from `[cogs.notes.settings]` (JSON text), default 20. */
function maxNotes() {
  const text = setting('max_notes');
  const value = text === undefined ? NaN : Number(JSON.parse(text));
  return Number.isInteger(value) && value > 0 ? value : 20;
}

/** Run a kv call; turn its `kv-error` into the handler's `handler-error`. */
function call(f) {
  try {
    return f();
  } catch (e) {
    const error = e?.payload;
    if (!error) throw e;
    const why = `kv: ${error.tag}${error.val ? ` (${error.val})` : ''}`;
    const retry = error.tag === 'store' || error.tag === 'quota-exceeded';
    throw { tag: retry ? 'transient' : 'permanent', val: why };
  }
}

function option(cmd, name) {
  return cmd.options.find((o) => o.name === name)?.value.val;
}

function reply(content, ephemeral = false) {
  return { content, ephemeral, actions: [] };
}
