"""Policy as code: one engine for CI (`policy apply`), admission and background audits."""
