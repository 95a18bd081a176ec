"""Output a CI can use: a summary table, each failure with its evidence, Markdown and JUnit XML."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from conformance.findings import Finding, Results
from conformance.options import RunOptions


def summary_table(results: Results) -> str:
    rows = [f"{'check':<11}{'operation':<58}{'passed':>7}{'failed':>7}{'skipped':>8}"]
    for row in results.summary():
        rows.append(f"{row['check']:<11}{row['operation']:<58}{row['passed']:>7}"
                    f"{row['failed']:>7}{row['skipped']:>8}")
    return "\n".join(rows)


def describe(finding: Finding) -> str:
    lines = [f"[{finding.check}] {finding.operation}: {finding.rule}", f"  {finding.message}"]
    exchange = finding.exchange
    if exchange is not None:
        lines.append(f"  request:  {exchange.method} {exchange.url}")
        if exchange.request_body:
            lines.append(f"            {exchange.request_body[:300]}")
        lines.append(f"  response: {exchange.status} {(exchange.response_body or '')[:300]}")
        lines.append(f"  reproduce: {exchange.curl}")
    lines.append(f"  rerun with --seed {finding.seed}")
    return "\n".join(lines)


def markdown(results: Results, options: RunOptions) -> str:
    verdict = "conforms" if results.ok else f"{len(results.findings)} violation(s)"
    lines = [f"## Conformance: `{options.contract}` at `{options.base_url}` — {verdict}", "",
             f"Profile `{options.profile}`, seed `{options.seed}`.", "",
             "| check | operation | passed | failed | skipped |",
             "| --- | --- | ---: | ---: | ---: |"]
    for row in results.summary():
        lines.append(f"| {row['check']} | `{row['operation']}` | {row['passed']} | "
                     f"{row['failed']} | {row['skipped']} |")
    if results.findings:
        lines += ["", "### Violations", ""]
        for finding in results.findings:
            lines += [f"- **{finding.check}** `{finding.operation}` — {finding.rule}: "
                      f"{finding.message.splitlines()[0] if finding.message else ''}"]
            if finding.exchange is not None:
                lines += ["  ```sh", f"  {finding.exchange.curl}", "  ```"]
    if results.notes:
        lines += ["", "<details><summary>Skipped</summary>", ""]
        lines += [f"- {note}" for note in results.notes] + ["", "</details>"]
    return "\n".join(lines) + "\n"


def junit_xml(results: Results, options: RunOptions) -> str:
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
    return ElementTree.tostring(suites, encoding="unicode")
