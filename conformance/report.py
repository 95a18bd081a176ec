"""Output a CI can use: a summary table, each failure with its evidence, Markdown and JUnit XML."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from conformance.findings import Finding, Results
from conformance.options import RunOptions

__all__ = ["describe", "exercised", "junit_xml", "markdown", "summary_table", "throttling",
           "verdict"]


def verdict(results: Results) -> str:
    """The one-line outcome: CONFORMS only when nothing broke, every family was exercised and
    no more requests were throttled than allowed."""
    throttled = sum(results.throttled.values())
    if results.ok:
        return f"CONFORMS ({throttled} requests throttled, not judged)" if throttled \
            else "CONFORMS"
    parts = []
    if results.findings:
        parts.append(f"{len(results.findings)} VIOLATION(S)")
    if results.not_exercised:
        parts.append(f"NOT EXERCISED: {', '.join(results.not_exercised)}")
    if results.too_throttled:
        allowed = f"--max-throttled {results.max_throttled}" \
            if results.max_throttled is not None else f"stopped {', '.join(results.throttle_stops)}"
        parts.append(f"THROTTLED: {throttled} requests ({allowed})")
    return "; ".join(parts)


def throttling(results: Results) -> list[str]:
    """The server's throttling, apart from any check's verdict: requests still refused after
    every retry, by family and operation, and the waits honoured."""
    tally = results.transport
    lines = [f"{tally.retried} retried after 429/503, {tally.waited:.1f}s waited as the server "
             "asked"]
    if results.throttled:
        total = sum(results.throttled.values())
        lines.append(f"THROTTLED: {total} requests still refused with 429/503 after every retry "
                     "(not judged by any check):")
        lines += [f"  {check:<10} {operation}: {count}"
                  for (check, operation), count in sorted(results.throttled.items())]
    lines += [f"THROTTLED: {check} stopped early: {why}"
              for check, why in results.throttle_stops.items()]
    return lines


def exercised(results: Results) -> list[str]:
    """Per family, what it really did; a family that could not do its job says why."""
    lines = []
    for check, done in results.exercised.items():
        counts = ", ".join(f"{count} {what}" for what, count in done.items())
        lines.append(f"{check:<10} {counts}")
    for check, why in results.not_exercised.items():
        lines.append(f"{check:<10} NOT EXERCISED: {why}")
    for check, why in results.not_applicable.items():
        lines.append(f"{check:<10} not applicable: {why}")
    return lines


def summary_table(results: Results) -> str:
    """Passed, failed and skipped per family and operation, then what each family exercised."""
    rows = [f"{'check':<11}{'operation':<58}{'passed':>7}{'failed':>7}{'skipped':>8}"]
    for row in results.summary():
        rows.append(f"{row['check']:<11}{row['operation']:<58}{row['passed']:>7}"
                    f"{row['failed']:>7}{row['skipped']:>8}")
    return "\n".join([*rows, "", "exercised:", *(f"  {line}" for line in exercised(results))])


def describe(finding: Finding) -> str:
    """A finding as a person reads it: the rule, the first example, a cURL to paste."""
    times = f" (seen {finding.count} times; the first is shown)" if finding.count > 1 else ""
    lines = [f"[{finding.check}] {finding.operation}: {finding.rule}{times}",
             f"  {finding.message}"]
    exchange = finding.exchange
    if exchange is not None:
        lines.append(f"  request:  {exchange.method} {exchange.url}")
        if exchange.request_body:
            lines.append(f"            {exchange.request_body[:300]}")
        lines.append(f"  response: {exchange.status} {(exchange.response_body or '')[:300]}")
        if exchange.setup:
            lines.append(f"  first:     {exchange.setup}")
        lines.append(f"  reproduce: {exchange.curl}")
    lines.append(f"  rerun with --seed {finding.seed}")
    return "\n".join(lines)


def markdown(results: Results, options: RunOptions) -> str:
    """A Markdown section for a CI summary page (several runs may share one file)."""
    lines = [f"## Conformance: `{options.contract}` at `{options.base_url}` — "
             f"{verdict(results).lower()}", "",
             f"Profile `{options.profile}`, seed `{options.seed}`.", "",
             "| check | operation | passed | failed | skipped |",
             "| --- | --- | ---: | ---: | ---: |"]
    for row in results.summary():
        lines.append(f"| {row['check']} | `{row['operation']}` | {row['passed']} | "
                     f"{row['failed']} | {row['skipped']} |")
    lines += ["", "Exercised:", ""] + [f"- {line}" for line in exercised(results)]
    lines += ["", "Throttling:", ""] + [f"- {line.strip()}" for line in throttling(results)]
    if results.findings:
        lines += ["", "### Violations", ""]
        for finding in results.findings:
            times = f" ({finding.count} times)" if finding.count > 1 else ""
            lines += [f"- **{finding.check}** `{finding.operation}` — {finding.rule}{times}: "
                      f"{finding.message.splitlines()[0] if finding.message else ''}"]
            if finding.exchange is not None:
                setup = [f"  {finding.exchange.setup}"] if finding.exchange.setup else []
                lines += ["  ```sh", *setup, f"  {finding.exchange.curl}", "  ```"]
    if results.notes:
        lines += ["", "<details><summary>Skipped</summary>", ""]
        lines += [f"- {note}" for note in results.notes] + ["", "</details>"]
    return "\n".join(lines) + "\n"


def junit_xml(results: Results, options: RunOptions) -> str:
    """JUnit XML: a suite per family, a case per operation; a family not exercised fails."""
    suites = ElementTree.Element("testsuites", name=f"conformance {options.contract}")
    by_check: dict[str, list[dict]] = {}
    for row in results.summary():
        by_check.setdefault(row["check"], []).append(row)
    for check, rows in by_check.items():
        failures = [f for f in results.findings if f.check == check]
        suite = ElementTree.SubElement(suites, "testsuite", name=check, tests=str(len(rows)),
                                       failures=str(len({f.operation for f in failures})))
        for row in rows:
            case = ElementTree.SubElement(suite, "testcase", classname=check,
                                          name=row["operation"])
            found = [f for f in failures if f.operation == row["operation"]]
            for finding in found:
                failure = ElementTree.SubElement(case, "failure", message=finding.rule)
                failure.text = describe(finding)
            if not found and not row["passed"] and row["skipped"]:
                ElementTree.SubElement(case, "skipped")
    for check, why in results.not_exercised.items():
        suite = ElementTree.SubElement(suites, "testsuite", name=f"{check} (exercised)",
                                       tests="1", failures="1")
        case = ElementTree.SubElement(suite, "testcase", classname=check, name="exercised")
        ElementTree.SubElement(case, "failure", message="not exercised").text = why
    if results.throttled or results.throttle_stops:
        suite = ElementTree.SubElement(suites, "testsuite", name="throttled", tests="1",
                                       failures=str(int(results.too_throttled)))
        case = ElementTree.SubElement(suite, "testcase", classname="transport",
                                      name="throttled")
        text = "\n".join(throttling(results))
        if results.too_throttled:
            ElementTree.SubElement(case, "failure", message="throttled").text = text
        else:
            ElementTree.SubElement(case, "system-out").text = text
    return ElementTree.tostring(suites, encoding="unicode")
