"""The fenced blocks of the README and the docs, read with markdown-it-py (the parser rich and
the docs' toolchain already use), each with its language, its place and its `not-run` reason."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

__all__ = ["COMMANDS", "PARSED", "ROOT", "RUN", "SHOWN", "Block", "Command", "blocks", "commands",
           "documents", "indented_blocks"]

ROOT = Path(__file__).resolve().parent.parent.parent

COMMANDS = frozenset({"console", "bash", "sh"})
"""Shell: run as printed against a served mock."""
RUN = COMMANDS | {"python"}
PARSED = frozenset({"yaml", "json"})
SHOWN = frozenset({"text", "markdown", "nginx"})
"""Output or a synopsis: shown, never run (the commands that print it are run elsewhere)."""

_NOT_RUN = re.compile(r"<!--\s*not-run:(.*?)-->", re.S)


@dataclass(frozen=True)
class Block:
    path: str
    line: int
    language: str
    text: str
    not_run: str | None
    """The reason given in a `<!-- not-run: reason -->` comment just before the fence."""

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Command:
    """One `$ ` command of a console block (continued over lines ending in `\\`), and the
    lines printed after it, up to the next command."""

    line: str
    expected: list[str]


def documents() -> list[Path]:
    """The README, every page of the site, and the two reference files the site includes."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
            ROOT / "contracts/EXTENSIONS.md", ROOT / "contracts/NOTES.md"]


def _tokens(path: Path) -> list:
    return MarkdownIt("commonmark").parse(path.read_text(encoding="utf-8"))


def blocks(path: Path) -> list[Block]:
    found = []
    tokens = _tokens(path)
    for index, token in enumerate(tokens):
        if token.type != "fence":
            continue
        before = tokens[index - 1] if index else None
        comment = _NOT_RUN.search(before.content) \
            if before is not None and before.type == "html_block" else None
        found.append(Block(str(path.relative_to(ROOT)), token.map[0] + 1,
                           token.info.strip().split(" ")[0], token.content,
                           comment.group(1).strip() if comment else None))
    return found


def indented_blocks(path: Path) -> list[str]:
    """Indented code blocks: they carry no language, so none can say how it is run."""
    return [f"{path.relative_to(ROOT)}:{token.map[0] + 1}" for token in _tokens(path)
            if token.type == "code_block"]


def commands(block: Block) -> list[Command]:
    """A console block's commands; in a bash or sh block every line is one (a script)."""
    if block.language != "console":
        return [Command(block.text, [])]
    found: list[Command] = []
    lines = block.text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.startswith("$ "):
            if not found:
                raise ValueError(f"{block.where}: console output before any `$ ` command: {line}")
            found[-1].expected.append(line)
            index += 1
            continue
        command = line[2:]
        while command.endswith("\\") and index + 1 < len(lines):
            index += 1
            command = command[:-1] + " " + lines[index].strip()
        found.append(Command(command, []))
        index += 1
    return found
