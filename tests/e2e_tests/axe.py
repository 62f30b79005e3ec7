"""axe-core scans (axe-playwright-python, which ships axe-core's script) for the browser tests: a page
passes when axe reports no violation of serious or critical impact."""
from __future__ import annotations

SERIOUS = ("serious", "critical")


def serious_violations(page) -> list[str]:
    """One line per serious or critical violation: rule id, impact, help text and the first targets."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    lines = []
    for violation in results.response["violations"]:
        if violation.get("impact") in SERIOUS:
            targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
            lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return lines


def assert_no_serious_violations(page, where: str = "") -> None:
    found = serious_violations(page)
    assert not found, f"axe on {where or page.url}:\n" + "\n".join(found)
