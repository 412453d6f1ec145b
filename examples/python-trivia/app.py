"""Trivia: an Astra cog written in Python (componentize-py), against wit/astra.wit.

Why it exists: it shows that a cog needs no Rust. `/trivia` asks a question in the
channel; the first member to type the answer scores; `/trivia-score` and `/trivia-top`
read the scores back. Everything it remembers lives in the host's `kv` store (scoped to
the guild), so a restart keeps the open questions and the scores.

Build: `./build.sh OUT.wasm` (componentize-py generates the bindings from ../../wit,
world `cog`, at build time). The host calls the methods of the class `WitWorld` below.

Mapping of the WIT to Python (componentize-py 0.25):
- records are dataclasses (`types.Message`, `types.CogManifest`, ...), enums are
  `Enum`s (`types.Priority.NORMAL`), variants are one dataclass per case
  (`types.Action_Reply("hi")`, `types.HandlerError_Transient("why")`);
- `option<T>` is `T | None`;
- `result<T, E>` is a plain return for `ok`; `err` is the exception
  `componentize_py_types.Err(value)`, both ways: raise it from a handler to return
  `handler-error`, catch it around an import (`kv.get` raises `Err(KvError_...)`).
"""

import json
import re

import wit_world
from componentize_py_types import Err
from wit_world.imports import config, kv, log, types

# The question bank: (question, accepted answers). Questions are asked in order, one
# counter per guild, so every guild sees them all before any repeats.
QUESTIONS = [
    ("What is the largest planet in our solar system?", ["jupiter"]),
    ("How many legs does a spider have?", ["8", "eight"]),
    ("What is the chemical symbol for gold?", ["au"]),
    ("Which language is this cog written in?", ["python"]),
    ("What is the capital of Japan?", ["tokyo"]),
    ("How many minutes are in a day?", ["1440"]),
    ("Which planet is known as the Red Planet?", ["mars"]),
    ("What gas do plants take in from the air?", ["carbon dioxide", "co2"]),
    ("Who wrote 'Romeo and Juliet'?", ["shakespeare", "william shakespeare"]),
    ("What is the freezing point of water in Celsius?", ["0", "zero"]),
    ("How many sides does a hexagon have?", ["6", "six"]),
    ("What is the smallest prime number?", ["2", "two"]),
]

# A hint after every this many wrong guesses.
HINT_EVERY = 3


class WitWorld(wit_world.WitWorld):
    """The cog's exports (componentize-py looks for a class of this name)."""

    def manifest(self) -> types.CogManifest:
        def command(name, description, options=(), permission=types.Permission.EVERYONE):
            return types.CommandSpec(name, description, list(options), permission)

        return types.CogManifest(
            name="trivia",
            version="0.1.0",
            description="Trivia questions with scores kept per guild (a Python cog)",
            capabilities=[
                types.Capability.LOG,
                types.Capability.KV,
                types.Capability.CONFIG,
                types.Capability.REPLY,
                types.Capability.REACT,
            ],
            commands=[
                command("trivia", "Ask a trivia question in this channel"),
                command(
                    "trivia-score",
                    "Show a member's trivia score",
                    [types.OptionSpec("user", "whose score (default: yours)", types.OptionKind.USER, False)],
                ),
                command("trivia-top", "The five best trivia players of this server"),
                command(
                    "trivia-reveal",
                    "Give the answer to the open question and close it",
                    permission=types.Permission.MANAGE_MESSAGES,
                ),
            ],
            events=[],
        )

    def triage(self, msg: types.Message):
        # Cheap: one kv read. Interested only while a question is open in the channel.
        if msg.author.is_bot or msg.content.startswith("/"):
            return None
        try:
            open_question = kv.get(open_key(msg.channel_id))
        except Err:
            return None
        return types.Priority.NORMAL if open_question is not None else None

    def handle_message(self, msg: types.Message):
        state = load_open(msg.channel_id)
        if state is None:
            return []  # someone else answered first
        question, answers = QUESTIONS[state["q"]]
        if normalize(msg.content) in answers:
            points = setting("points", 1)
            score = call(kv.increment, score_key(msg.author.id), points)
            call(kv.set, name_key(msg.author.id), msg.author.name)
            call(kv.delete, open_key(msg.channel_id))
            log.log(log.Level.INFO, f"{msg.author.name} answered question {state['q']}")
            return [
                types.Action_Reply(
                    f"🎉 {msg.author.name} got it: {answers[0]}! "
                    f"{msg.author.name} now has {plural(score, 'point')}."
                )
            ]
        state["wrong"] += 1
        call(kv.set, open_key(msg.channel_id), json.dumps(state))
        actions = [types.Action_React("❌")]
        if state["wrong"] % HINT_EVERY == 0:
            answer = answers[0]
            actions.append(
                types.Action_Reply(f"Hint: {len(answer)} characters, starting with “{answer[0]}”.")
            )
        return actions

    def handle_command(self, cmd: types.CommandInvocation) -> types.CommandReply:
        if cmd.name == "trivia":
            return ask(cmd.channel_id)
        if cmd.name == "trivia-score":
            user = option(cmd, "user") or cmd.invoker.id
            score = int(call(kv.get, score_key(user)) or "0")
            return reply(f"{user} has {plural(score, 'point')}.", ephemeral=True)
        if cmd.name == "trivia-top":
            return reply(leaderboard())
        if cmd.name == "trivia-reveal":
            state = load_open(cmd.channel_id)
            if state is None:
                return reply("No question is open here.", ephemeral=True)
            call(kv.delete, open_key(cmd.channel_id))
            question, answers = QUESTIONS[state["q"]]
            return reply(f"The answer to “{question}” was: {answers[0]}.")
        # Not one of ours: a permanent handler-error, as the WIT's result asks.
        raise Err(types.HandlerError_Permanent(f"trivia has no command /{cmd.name}"))

    def on_event(self, event: types.Event):
        return []


def ask(channel: str) -> types.CommandReply:
    state = load_open(channel)
    if state is not None:
        return reply(f"Still open: {QUESTIONS[state['q']][0]}")
    asked = call(kv.increment, "asked", 1)
    index = (asked - 1) % len(QUESTIONS)
    call(kv.set, open_key(channel), json.dumps({"q": index, "wrong": 0}))
    return reply(f"Trivia #{asked}: {QUESTIONS[index][0]}")


def leaderboard() -> str:
    scores = [(int(v), k.removeprefix("score:")) for k, v in call(kv.list_prefix, "score:", 1000)]
    if not scores:
        return "Nobody has scored yet. Try /trivia!"
    names = dict(call(kv.list_prefix, "name:", 1000))
    scores.sort(key=lambda s: (-s[0], s[1]))
    lines = [
        f"{rank}. {names.get(name_key(user), user)}: {plural(score, 'point')}"
        for rank, (score, user) in enumerate(scores[:5], start=1)
    ]
    return "Trivia leaderboard\n" + "\n".join(lines)


def call(function, *args):
    """Call a kv import, turning its `kv-error` into the handler's `handler-error`:
    a store failure may go away on a retry (transient), anything else will not."""
    try:
        return function(*args)
    except Err as e:
        error = e.value
        if isinstance(error, (kv.KvError_Store, kv.KvError_QuotaExceeded)):
            raise Err(types.HandlerError_Transient(f"kv: {describe(error)}"))
        raise Err(types.HandlerError_Permanent(f"kv: {describe(error)}"))


def describe(error) -> str:
    text = type(error).__name__.removeprefix("KvError_")
    return f"{text} ({error.value})" if hasattr(error, "value") else text


def load_open(channel: str):
    text = call(kv.get, open_key(channel))
    return json.loads(text) if text else None


def setting(key: str, default):
    """A setting from `[cogs.trivia.settings]` (JSON text), or `default`."""
    text = config.get(key)
    if text is None:
        return default
    try:
        value = json.loads(text)
    except ValueError:
        return default
    return value if isinstance(value, type(default)) else default


def option(cmd: types.CommandInvocation, name: str):
    for o in cmd.options:
        if o.name == name:
            return o.value.value
    return None


def reply(content: str, ephemeral: bool = False) -> types.CommandReply:
    return types.CommandReply(content, ephemeral, [])


def normalize(text: str) -> str:
    words = re.sub(r"[^\w\s]", " ", text.lower()).split()
    if words and words[0] in ("the", "a", "an"):
        words = words[1:]
    return " ".join(words)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def open_key(channel: str) -> str:
    return f"open:{channel}"


def score_key(user: str) -> str:
    return f"score:{user}"


def name_key(user: str) -> str:
    return f"name:{user}"
