"""gunicorn settings for ``casedesk serve`` (read with ``-c python:casedesk.config.gunicorn``).

Memory (issue 17 item 5, measured by bench/bench_memory.py, figures in docs/benchmarks.md).
The master only supervises: it never starts Django unless the app is preloaded, so it
stays at the size of Python plus gunicorn instead of a third copy of Django.

``CASEDESK_WEB_PRELOAD`` (default on) loads the application in the master before forking
and warms what every worker would otherwise load for itself on its first requests: the
URLconf (every view, router and schema module), the page templates (compiled once by the
cached loader) and the ``holidays`` package's countries (its lazy loader imports all 251
country modules, ~11 MB, the first time a business calendar needs any country). Then
``gc.freeze()`` moves those objects out of the collector's reach so that collections in
the workers do not write to them: the pages stay shared copy-on-write between master and
workers (reference counts still dirty some of them as code runs; see docs/benchmarks.md).
No database connection is open at fork time.
``CASEDESK_WEB_PRELOAD=0`` lets each worker import the application itself (a code
reload then only needs a worker restart, not a master restart).
"""

from __future__ import annotations

import gc
import os

preload_app = os.environ.get("CASEDESK_WEB_PRELOAD", "1").strip().lower() not in {
    "0",
    "false",
    "no",
    "off",
}


def when_ready(server: object) -> None:
    """In the master, after a preloaded app is loaded and before the first fork."""
    if not preload_app:
        return
    from django.db import connections

    warm()
    connections.close_all()
    gc.collect()
    gc.freeze()


def warm() -> None:
    """Load, once and before forking, what each worker would load on its first requests."""
    from pathlib import Path

    from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  imports every view module
    import holidays.countries  # noqa: F401  all countries load on the first lookup anyway

    engine = engines["django"]
    for folder in engine.template_dirs:
        for path in Path(folder).rglob("*.html"):
            try:
                engine.get_template(path.relative_to(folder).as_posix())
            except (TemplateDoesNotExist, TemplateSyntaxError, UnicodeDecodeError):
                continue
