"""Web pages (placeholder until the pages land)."""


def register(app) -> None:
    return None
