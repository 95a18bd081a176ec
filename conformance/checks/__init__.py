"""The check families. Rule: a module here imports only `conformance.checks.*`, `findings`,
`profiles`, `target`, `transport` and `contracts` — checks see a small context (a Target, the
Results, a Profile), never the runner, the CLI or the reports."""
