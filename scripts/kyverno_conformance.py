"""Per-suite tally of ``kyverno-test.yaml`` suites (e.g. a checkout of kyverno/policies).

    python scripts/kyverno_conformance.py DIR [DIR ...] [--failures]

A suite is one test file; it is named by its directory (``.kyverno-test`` folded into
its parent). Prints ``passed/total`` per suite, the failing cases with ``--failures``,
then the totals: suites whose every case passed, and cases passed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hardhull.policy.testrunner import find_tests, run_test_file


def _suite_name(file: Path, roots: list[Path]) -> str:
    folder = file.parent.parent if file.parent.name == ".kyverno-test" else file.parent
    for root in roots:
        if folder == root or root in folder.parents:
            return str(folder.relative_to(root)) if folder != root else folder.name
    return str(folder)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="+")
    parser.add_argument("--failures", action="store_true", help="list failing cases")
    args = parser.parse_args(argv)
    roots = [Path(d).resolve() for d in args.dirs]
    suites_ok = suites = cases_ok = cases = 0
    for file in find_tests(str(r) for r in roots):
        got, errors = run_test_file(file.resolve())
        fatal = [e for e in errors if e.fatal]
        ok = sum(1 for c in got if c.ok)
        suites += 1
        cases += len(got)
        cases_ok += ok
        clean = ok == len(got) and not fatal and bool(got)
        suites_ok += clean
        mark = "ok  " if clean else "FAIL"
        print(f"{mark} {_suite_name(file.resolve(), roots)}: {ok}/{len(got)}")
        if args.failures:
            for c in got:
                if not c.ok:
                    why = f": {c.detail}" if c.detail else ""
                    print(
                        f"       {c.kind}/{c.resource} {c.rule or '-'}: "
                        f"expected {c.expected}, got {c.actual}{why}"
                    )
            for e in fatal:
                print(f"       load error {e.pos}: {e.message}")
    print(f"suites: {suites_ok}/{suites} fully passing; cases: {cases_ok}/{cases} passing")
    return 0 if suites_ok == suites else 1


if __name__ == "__main__":
    sys.exit(main())
