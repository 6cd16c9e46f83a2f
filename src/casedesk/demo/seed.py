"""Demo data (placeholder until the seed lands)."""

DEMO_PASSWORD = "casedesk-demo"
DEMO_LOGINS: list[tuple[str, str]] = []


def seed_demo(*, now):  # type: ignore[no-untyped-def]
    return False
