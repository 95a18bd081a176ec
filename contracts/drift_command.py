"""`contracts drift`: a contract held against recorded traffic, reported as text, JSON or
Markdown, and optionally its additive findings written as an overlay to review."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import click
import yaml

from contracts import loading, proposal
from contracts.drift import Finding, Report, judge
from contracts.extensions import ContractError
from contracts.recording import HAR_FILE, Recorded, RecordingError, read

__all__ = ["drift", "render"]


@click.command("drift")
@click.argument("contract")
@click.argument("recordings", nargs=-1, required=True, metavar="RECORDING...")
@click.option("--format", "output", type=click.Choice(["text", "json", "markdown"]),
              default="text", show_default=True, help="How the report is written.")
@click.option("--base-url", help="Judge only the entries below this URL (its path is the "
              "contract's root), e.g. for a browser's export that holds other hosts too.")
@click.option("--overlay", "overlays", multiple=True, type=click.Path(dir_okay=False),
              help="An Overlay 1.0 file applied to the contract first (repeatable), e.g. a "
              "proposal under review.")
@click.option("--propose", type=click.Path(dir_okay=False, writable=True),
              help="Write an Overlay 1.0 document declaring the new fields, enum values, "
              "statuses, headers, lifecycle states and transitions here, each marked x-drift "
              "(YAML; JSON if the name ends in .json).")
def drift(contract: str, recordings: tuple[str, ...], output: str, base_url: str | None,
          overlays: tuple[str, ...], propose: str | None) -> None:
    """What the traffic in RECORDING... (HAR 1.2 files, or `mockserver proxy --record`
    directories) shows that CONTRACT (a shipped name or a path) does not declare, and what it
    declares that the traffic never showed. Exit 1 on drift, 0 without."""
    document = _contract(contract)
    for name in overlays:
        try:
            document = proposal.apply(document, _structured(Path(name), "--overlay"))
        except proposal.OverlayError as error:
            raise click.BadParameter(f"{name}: {error}", param_hint="--overlay") from None
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise click.BadParameter(f"{base_url!r} is not an http(s) URL", param_hint="--base-url")
    exchanges = {name: _recording(Path(name)) for name in dict.fromkeys(recordings)}
    try:
        report = judge(document, exchanges, contract=contract, base_url=base_url)
    except ContractError as error:
        raise click.BadParameter(f"{contract}: {error}", param_hint="CONTRACT") from None
    click.echo(render(report, output), nl=False)
    if propose is not None:
        _propose(Path(propose), proposal.overlay(report, document))
    raise SystemExit(1 if report.drift else 0)


def _propose(file: Path, written: dict[str, Any]) -> None:
    """Write the overlay; none when there is nothing to add (an overlay has one action or
    more)."""
    if not written["actions"]:
        click.echo(f"nothing to propose: no additive drift; {file} not written", err=True)
        return
    text = json.dumps(written, indent=2) + "\n" if file.suffix == ".json" else \
        yaml.safe_dump(written, sort_keys=False, allow_unicode=True)
    try:
        file.write_text(text, encoding="utf-8")
    except OSError as error:
        raise click.BadParameter(f"cannot write {file}: {error.strerror}",
                                 param_hint="--propose") from None
    click.echo(f"{len(written['actions'])} proposed addition(s) written to {file}", err=True)


def _contract(name: str) -> dict[str, Any]:
    try:
        document = loading.load(name, resolve=False)
    except LookupError as error:
        raise click.BadParameter(str(error).strip("'\""), param_hint="CONTRACT") from None
    except (OSError, yaml.YAMLError) as error:
        raise click.BadParameter(f"{name} cannot be read as YAML: {error}",
                                 param_hint="CONTRACT") from None
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        raise click.BadParameter(f"{name} is not an OpenAPI document (no `paths`)",
                                 param_hint="CONTRACT")
    return document


def _structured(file: Path, hint: str) -> Any:
    try:
        return yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise click.BadParameter(f"{file} cannot be read: {error}", param_hint=hint) from None


def _recording(given: Path) -> list[Recorded]:
    """A recording's exchanges, or a usage error saying what is wrong with the file."""
    har = given / HAR_FILE if given.is_dir() else given
    hint = "RECORDING"
    if not har.is_file():
        where = f"{given} is a directory without {HAR_FILE}" if given.is_dir() \
            else f"{given} does not exist"
        raise click.BadParameter(where, param_hint=hint)
    try:
        document = json.loads(har.read_bytes())
    except OSError as error:
        raise click.BadParameter(f"cannot read {har}: {error.strerror}", param_hint=hint) \
            from None
    except (ValueError, RecursionError) as error:
        raise click.BadParameter(f"{har} is not JSON: {error}", param_hint=hint) from None
    log = document.get("log") if isinstance(document, dict) else None
    if not isinstance(log, dict) or not isinstance(log.get("entries"), list):
        raise click.BadParameter(f"{har} is not a HAR 1.2 file: it has no log.entries list",
                                 param_hint=hint)
    for index, item in enumerate(log["entries"]):
        problem = _entry_problem(item)
        if problem:
            raise click.BadParameter(f"{har}: entry {index} {problem}", param_hint=hint)
    try:
        return read(given)
    except (RecordingError, ValueError) as error:
        said = str(error) if str(har) in str(error) else f"{har}: {error}"
        raise click.BadParameter(said, param_hint=hint) from None


def _entry_problem(item: Any) -> str:
    if not isinstance(item, dict):
        return "is not an object"
    request, response = item.get("request"), item.get("response")
    if not isinstance(request, dict) or not isinstance(request.get("method"), str) or \
            not isinstance(request.get("url"), str):
        return "has no request.method and request.url"
    if not isinstance(response, dict) or isinstance(response.get("status"), bool) or \
            not isinstance(response.get("status"), int):
        return "has no numeric response.status"
    for side, holder in (("request", request), ("response", response)):
        headers = holder.get("headers", [])
        if not isinstance(headers, list) or not all(
                isinstance(h, dict) and isinstance(h.get("name"), str)
                and isinstance(h.get("value"), str) for h in headers):
            return f"has {side}.headers that are not a list of name/value pairs"
    for name, content in (("request.postData", request.get("postData")),
                          ("response.content", response.get("content"))):
        if content is not None and not isinstance(content, dict):
            return f"has a {name} that is not an object"
        if isinstance(content, dict) and not isinstance(content.get("text", ""), (str, type(None))):
            return f"has a {name}.text that is not a string"
    return ""


# -- rendering ---------------------------------------------------------------------------------

def render(report: Report, output: str) -> str:
    """The report as `text`, `json` or `markdown`."""
    if output == "json":
        return json.dumps({"drift": report.drift, **report.model_dump(mode="json")},
                          indent=2) + "\n"
    return _markdown(report) if output == "markdown" else _text(report)


def _summary(report: Report) -> str:
    skipped = ", ".join(f"{count} {why}" for why, count in report.skipped.items())
    return (f"{report.contract} against {', '.join(report.recordings)}: {report.entries} "
            f"entries, {report.judged} judged" + (f" (skipped: {skipped})" if skipped else ""))


def _example(finding: Finding) -> str:
    e = finding.example
    return "" if e is None else f"{e.recording}#{e.entry} {e.method} {e.url} -> {e.status}"


def _text(report: Report) -> str:
    lines = [f"Drift of {_summary(report)}", ""]
    if report.findings:
        lines.append(f"DRIFT: {len(report.findings)} finding(s)")
        for f in report.findings:
            value = f" [{f.value}]" if f.value else ""
            lines += [f"  {f.kind}: {f.place}{value}  seen {f.count}x",
                      f"      e.g. {_example(f)}"]
    else:
        lines.append("No drift: the traffic shows nothing the contract does not declare.")
    lines += ["", "UNEXERCISED (informational, not drift)"]
    lines += [f"  {kind}: {', '.join(items)}" for kind, items in _grouped(report.unexercised)]
    if not report.unexercised:
        lines.append("  nothing: the traffic showed everything the contract declares")
    return "\n".join(lines) + "\n"


def _markdown(report: Report) -> str:
    lines = [f"# Drift of {_summary(report)}", ""]
    if report.findings:
        lines += ["| kind | place | value | count | example |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| {f.kind} | `{_cell(f.place)}` | {_cell(f.value)} | {f.count} | "
                  f"{_cell(_example(f))} |" for f in report.findings]
    else:
        lines.append("No drift: the traffic shows nothing the contract does not declare.")
    lines += ["", "## Unexercised (informational, not drift)", ""]
    lines += [f"- **{kind}**: {_cell(', '.join(items))}"
              for kind, items in _grouped(report.unexercised)]
    return "\n".join(lines) + "\n"


def _grouped(findings: list[Finding]) -> list[tuple[str, list[str]]]:
    """Unexercised items by kind, statuses and states gathered per operation or lifecycle."""
    groups: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for f in findings:
        groups[f.kind].setdefault(f.place, []).append(f.value)
    return [(kind, [place + (f" ({', '.join(v for v in values)})" if any(values) else "")
                    for place, values in places.items()]) for kind, places in groups.items()]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
