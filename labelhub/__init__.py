"""LabelHub: a self-hosted crowd labeling marketplace with an MTurk-compatible API."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from labelhub.runtime import Runtime
from labelhub.settings import Settings


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None,
               check_schema: bool = True) -> Flask:
    """The only place that wires the web application. Refuses a database whose schema is behind."""
    from labelhub import api, jobs, migrations, mturk, question_xml, web

    settings = settings or Settings.load()
    runtime = runtime or Runtime.from_settings(settings)
    jobs.install_runtime(runtime)  # jobs run in this process must use this app's database, not config.toml's
    if check_schema:
        migrations.check_current(runtime.engine)
    app = Flask(__name__, static_folder=None)  # static files come from the blueprints
    app.config.update(SECRET_KEY=runtime.secret_key(), MAX_CONTENT_LENGTH=settings.web.max_request_bytes,
                      SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=settings.web.secure_cookies)
    if settings.web.trusted_proxies:
        proxies = settings.web.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    app.extensions["labelhub"] = runtime
    # The embedded job runner starts with the first request of each process (gunicorn forks after
    # loading the app, and threads do not survive a fork); `labelhub run` starts it before serving.
    app.before_request(lambda: runtime.backend.start(runtime))
    app.register_blueprint(api.create_blueprint(), url_prefix="/api/v1")
    app.register_blueprint(mturk.create_blueprint(), url_prefix="/mturk")
    app.register_blueprint(question_xml.template_blueprint())
    web.register(app)
    return app


def runtime_of(app: Flask) -> Runtime:
    return app.extensions["labelhub"]
