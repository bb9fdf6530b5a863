"""``argparse-cli``: the CLI reference, generated at build time from an argparse parser.

``.. argparse-cli:: harness.cli:build_parser`` imports the function, builds the parser and emits one
section per (sub)command with its usage, description and arguments.  Nothing is hand-written, so
the page cannot drift from the parser.  Builds docutils nodes directly (no reST text), so the
directive works the same from Markdown (MyST) and reStructuredText.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import re

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

# ``double backquotes``, or a flag such as --k or --k-fit written in prose: as plain text Sphinx's
# smartquotes would turn its "--" into an en dash ("–k")
_LITERAL = re.compile(r"``(.+?)``|(?<![\w-])(--[a-z][\w-]*)")


def _inline(text: str) -> list[nodes.Node]:
    """Plain help text, with ``double backquotes`` and --flags rendered as literals."""
    out: list[nodes.Node] = []
    pos = 0
    for m in _LITERAL.finditer(text):
        if m.start() > pos:
            out.append(nodes.Text(text[pos : m.start()]))
        literal = m.group(1) or m.group(2)
        out.append(nodes.literal(literal, literal))
        pos = m.end()
    if pos < len(text):
        out.append(nodes.Text(text[pos:]))
    return out


def _paragraph(text: str) -> nodes.paragraph:
    return nodes.paragraph("", "", *_inline(" ".join(text.split())))


def _subcommands(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield name, sub, helps.get(name)


def _default_text(action) -> str | None:
    if action.default is None or action.default is False or action.default == argparse.SUPPRESS:
        return None
    if isinstance(action.default, (list, tuple)) and not action.default:  # an "append" option
        return None
    if action.help == argparse.SUPPRESS:
        return None
    if isinstance(action, (argparse._HelpAction, argparse._VersionAction, argparse.BooleanOptionalAction)):
        return None
    if action.help and "default" in action.help:
        return None  # the help says it already
    return str(action.default)


def _arguments(parser) -> list[nodes.Node]:
    formatter = parser._get_formatter()
    out = []
    for group in parser._action_groups:
        actions = [
            a
            for a in group._group_actions
            if a.help != argparse.SUPPRESS and not isinstance(a, argparse._SubParsersAction)
        ]
        if not actions:
            continue
        out.append(nodes.rubric("", group.title.capitalize()))
        dl = nodes.definition_list()
        for action in actions:
            invocation = formatter._format_action_invocation(action)
            term = nodes.term("", "", nodes.literal(invocation, invocation))
            body = nodes.definition()
            if action.help:
                body += _paragraph(formatter._expand_help(action))
            extra = []
            if action.choices and not isinstance(action.choices, dict):
                extra.append("one of " + ", ".join(f"``{c}``" for c in action.choices))
            default = _default_text(action)
            if default is not None:
                extra.append(f"default ``{default}``")
            if extra:
                body += _paragraph("(" + "; ".join(extra) + ")")
            dl += nodes.definition_list_item("", term, body)
        out.append(dl)
    return out


@contextlib.contextmanager
def _columns(width: int):
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        yield
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved


class ArgparseCli(SphinxDirective):
    required_arguments = 1  # module:function returning an argparse.ArgumentParser
    option_spec = {"prog": directives.unchanged}

    def run(self):
        module_name, _, attr = self.arguments[0].partition(":")
        parser = getattr(importlib.import_module(module_name), attr)()
        prog = self.options.get("prog", parser.prog)
        with _columns(88):  # argparse wraps usage to the terminal: the page must not depend on it
            return self._section(parser, prog, parser.description, top=True)

    def _section(self, parser, title, summary, top=False):
        section_id = nodes.make_id("cli " + title)
        section = nodes.section(ids=[section_id], names=[nodes.fully_normalize_name(title)])
        section += nodes.title("", "", nodes.literal(title, title))
        self.state.document.note_implicit_target(section, section)
        if summary:
            section += _paragraph(summary)
        if parser.description and parser.description != summary:
            section += _paragraph(parser.description)
        prefix = "usage: "  # argparse indents continuation lines under the program name, after this prefix
        lines = parser.format_usage().removeprefix(prefix).rstrip().splitlines()
        usage = "\n".join(lines[:1] + [line.removeprefix(" " * len(prefix)) for line in lines[1:]])
        section += nodes.literal_block(usage, usage, language="text")
        section.extend(_arguments(parser))
        if parser.epilog:
            section += _paragraph(parser.epilog)
        subs = list(_subcommands(parser))
        if not subs:
            return [section]
        if top:  # the program, then one sibling section per command
            return [section] + [
                node for name, sub, help_ in subs for node in self._section(sub, f"{title} {name}", help_)
            ]
        for name, sub, help_ in subs:
            section.extend(self._section(sub, f"{title} {name}", help_))
        return [section]


def setup(app):
    app.add_directive("argparse-cli", ArgparseCli)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
