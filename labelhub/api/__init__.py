"""REST API v1 (placeholder until the API module lands)."""
from flask import Blueprint


def create_blueprint() -> Blueprint:
    return Blueprint("api", __name__)
