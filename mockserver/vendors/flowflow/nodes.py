"""One function per node type: a node, its input and the run so far -> result and condition met.

Helper nodes do their real work: Text - Input passes its text on, Text - Output renders its Jinja2
template, HTTP Output POSTs `{"result": ...}` to its endpoint. AI nodes are simulated, the same
input always giving the same answer: a node's scripted answers (`mock` rules) come first, else
  - Answer: the data source sentence that shares most of the question's words (with its data
    item as source), else `Unknown`; without a data source, a canned answer to anything that
    reads as a question, `Unknown` to the rest;
  - Boolean: true when the input shares a word with the criteria, undecided when it is empty;
  - Classification: the labels whose name or context shares a word with the input;
  - Assistant, Generate, Vision: the input restated under the command, `n_items` numbered ideas,
    a caption (or yes/no to the question) made from an image URL's words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import jinja2
import requests

from mockserver.vendors.flowflow import templates
from mockserver.vendors.flowflow.catalogue import Condition
from mockserver.vendors.flowflow.decisions import UNKNOWN, condition_of, decide
from mockserver.vendors.flowflow.graph import Node, Workflow

__all__ = ["HTTP_TIMEOUT_SECONDS", "Context", "Outcome", "as_text", "keywords", "run_node"]

HTTP_TIMEOUT_SECONDS = 5.0
# Words that name no topic: function words, and those criteria use to speak of the input.
_IGNORED = {"a", "an", "the", "is", "are", "was", "were", "be", "been", "to", "of", "in", "on",
            "at", "for", "and", "or", "not", "it", "its", "this", "that", "these", "those", "who",
            "whom", "whose", "what", "when", "where", "why", "how", "which", "do", "does", "did",
            "can", "could", "will", "would", "should", "shall", "may", "might", "has", "have",
            "had", "i", "you", "he", "she", "we", "they", "me", "my", "your", "our", "their",
            "with", "by", "as", "from", "about", "into", "than", "then", "so", "if", "any", "all",
            "input", "text", "string", "question", "message", "related", "relate", "regarding"}
_QUESTION_WORDS = {"who", "whom", "whose", "what", "when", "where", "why", "how", "which", "is",
                   "are", "was", "were", "can", "could", "do", "does", "did", "will", "would",
                   "should", "shall", "may", "might", "has", "have"}


@dataclass
class Outcome:
    result: Any
    met: list[Condition]
    sources: list[dict[str, Any]] | None = None
    """The data the result came from; None passes on the input's sources."""
    message: str = "OK"


@dataclass
class Context:
    """What a node run can see of its workflow run."""

    workflow: Workflow
    run_variables: dict[str, Any]
    history: list[tuple[Node, dict[str, Any]]] = field(default_factory=list)
    """The node runs so far, in order: each node with its run variables."""


def run_node(node: Node, value: Any, context: Context) -> Outcome:
    """Run one node on its input: its result and the conditions it meets."""
    node_type = node.node_type
    if node_type.kind != "ai":
        return _HELPERS[node_type.name](node, value, context)
    text = as_text(value)
    rule = next((rule for rule in node.mock if rule.matches(text)), None)
    if rule is not None:
        condition = node_type.condition(rule.condition) if rule.condition is not None else \
            condition_of(node_type, rule.result)
        answers = node_type.name == "AI - Answer question"
        own_sources: list[dict[str, Any]] | None = [] if answers else None
        return Outcome(rule.result, [condition], own_sources)
    result, system_name, sources = _SIMULATIONS[node_type.name](node, text, context)
    return Outcome(result, [node_type.condition(system_name)], sources)


def as_text(value: Any) -> str:
    """A node input as the text AI nodes read."""
    return value if isinstance(value, str) else json.dumps(value)


def keywords(text: str) -> set[str]:
    """The words that carry meaning, lower-cased and without a plural `s`."""
    found = set()
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        if word not in _IGNORED:
            found.add(word[:-1] if len(word) > 3 and word.endswith("s") else word)
    return found


# -- AI nodes: (node, input text, context) -> (result, condition system name, sources) --------

Simulation = Callable[["Node", str, Context], tuple[Any, str, "list[dict[str, Any]] | None"]]


def _answer(node: Node, text: str, context: Context) -> tuple[Any, str, list[dict[str, Any]]]:
    allowed_unknown = node.setting("cannot_answer")
    source_id = node.setting("data_source")
    if source_id is not None:
        source = context.workflow.data_source(source_id)
        asked = keywords(text)
        best, best_score = None, 0
        for item in source.items:
            for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z])|\n+", item.text):
                score = len(asked & keywords(sentence))
                if score > best_score:
                    best, best_score = (item, sentence.strip()), score
        if best is not None and 2 * best_score > len(asked):
            item, sentence = best
            return sentence, "answer_known", [{"data_item": item.public(),
                                               "data_source": source.public()}]
        if allowed_unknown:
            return UNKNOWN, "answer_unknown", []
        return f"{source.name} does not say.", "answer_known", []
    words = re.findall(r"[a-z]+", text.lower())
    if text.strip().endswith("?") or (words and words[0] in _QUESTION_WORDS) \
            or not allowed_unknown:
        context_note = node.setting("context")
        answer = f"This is a simulated answer to: {text.strip()}"
        return (f"{answer} (context: {context_note})" if context_note else answer,
                "answer_known", [])
    return UNKNOWN, "answer_unknown", []


def _assistant(node: Node, text: str, context: Context) -> tuple[Any, str, None]:
    if not text.strip():
        return "There is no input to apply the command to.", "command_not_completed", None
    return f"{node.setting('command')}:\n{text}", "command_completed", None


def _boolean(node: Node, text: str, context: Context) -> tuple[Any, str, None]:
    criteria = keywords(node.setting("criteria"))
    if not text.strip() or not criteria:
        decision = "undecided" if node.setting("undecided") else "false"
    else:
        decision = "true" if criteria & keywords(text) else "false"
    return decision, f"boolean_{decision}", None


def _classification(node: Node, text: str, context: Context) -> tuple[Any, str, None]:
    found = keywords(text)
    configured = [label if isinstance(label, dict) else {"label": str(label)}
                  for label in node.setting("labels")]
    labels = [label["label"] for label in configured
              if keywords(f"{label['label']} {label.get('context') or ''}") & found]
    if not node.setting("multiple_answers"):
        labels = labels[:1]
    if not labels and not node.setting("unclassified"):
        labels = [configured[0]["label"]]
    return labels, decide("AI - Classification", labels), None


def _generate(node: Node, text: str, context: Context) -> tuple[Any, str, None]:
    subject = text.strip()
    items = [f"{subject} — idea {n}" for n in range(1, int(node.setting("n_items")) + 1)] \
        if subject else []
    return items, "items_generated" if items else "no_items_generated", None


def _vision(node: Node, text: str, context: Context) -> tuple[Any, str, None]:
    url = urlsplit(text.strip())
    if url.scheme not in ("http", "https") or not url.netloc:
        return "Image processing error: the input is not an image URL", \
            "image_processing_error", None
    pictured = url.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    question = node.setting("question")
    if question:
        answer = "yes" if keywords(question) & keywords(pictured) else "no"
        return answer, "image_processed_ok", None
    return f"an image of {' '.join(re.findall(r'[a-z0-9]+', pictured.lower())) or 'something'}", \
        "image_processed_ok", None


_SIMULATIONS: dict[str, Simulation] = {
    "AI - Answer question": _answer,
    "AI - Assistent": _assistant,
    "AI - Boolean": _boolean,
    "AI - Classification": _classification,
    "AI - Generate": _generate,
    "AI - Vision": _vision,
}


# -- helper nodes: (node, input, context) -> outcome ----------------------------------------


def _text_input(node: Node, value: Any, context: Context) -> Outcome:
    return Outcome(value, [node.node_type.condition("text_received")])


def _text_output(node: Node, value: Any, context: Context) -> Outcome:
    template = node.setting("text_display") or as_text(value)
    values = templates.variables(value, context.workflow, context.run_variables,
                                 context.history)
    try:
        text = templates.render(template, values)
    except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError) as error:
        return Outcome(f"Error in the template: {error}",
                       [node.node_type.condition("human_feedback_text_error")],
                       message=str(error))
    return Outcome(text, [node.node_type.condition("human_feedback_text_ok")])


def _http_output(node: Node, value: Any, context: Context) -> Outcome:
    endpoint = node.setting("endpoint")
    condition = node.node_type.condition
    try:
        reply = requests.post(endpoint, json={"result": value}, timeout=HTTP_TIMEOUT_SECONDS)
    except requests.RequestException as error:
        message = f"HTTP request to {endpoint} failed: {error}"
        return Outcome(message, [condition("http_status_not_200")], message=message)
    ok = reply.status_code == 200
    met = [condition("http_status_200" if ok else "http_status_not_200")]
    result: Any = reply.text
    try:
        data = reply.json()
    except ValueError:
        data = None
    if isinstance(data, (dict, list, str)):
        met.append(condition("http_json_returned"))
        result = data
    return Outcome(result, met, message="OK" if ok else f"HTTP status {reply.status_code}")


_HELPERS: dict[str, Callable[[Node, Any, Context], Outcome]] = {
    "Text - Input": _text_input,
    "Text - Feedback": _text_output,
    "HTTP Output": _http_output,
}
