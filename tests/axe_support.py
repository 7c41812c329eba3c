"""axe-core in the browser tests: the accessibility rules of WCAG 2.1 A and AA plus Deque's best
practices, run on the page as a reader gets it.

axe-core is an npm package pinned in tests/axe/package.json and installed by `npm ci` into
tests/axe/node_modules (`make test` and .ci/run do it). Its script is evaluated in the page
through the DevTools protocol, which the page's Content-Security-Policy (script-src 'self', no
inline script) does not govern, so the CSP the site sends stays exactly as it is.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
RULE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@cache
def axe_source() -> str:
    """The axe-core script; outside CI a missing install skips, in CI it fails the run."""
    if not AXE.exists():
        message = f"{AXE} is missing: run `npm ci --prefix tests/axe` (make test does)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Any) -> list[str]:
    """Every rule the page breaks, one line each: rule, impact, what to fix and where."""
    page.evaluate(axe_source())
    violations = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {
                runOnly: {type: "tag", values: tags},
                resultTypes: ["violations"],
            });
            return result.violations.map((rule) => ({
                id: rule.id,
                impact: rule.impact,
                help: rule.help,
                where: rule.nodes.map((node) => node.target.join(" ")),
            }));
        }""",
        RULE_TAGS,
    )
    return [
        f"{rule['id']} ({rule['impact']}): {rule['help']} at {', '.join(rule['where'][:5])}"
        for rule in violations
    ]
