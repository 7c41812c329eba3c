"""A WSGI application that fails, for the gunicorn error-log test: its exception quotes a
value, as a real one could (a name in a failed lookup)."""


def application(environ, start_response):  # type: ignore[no-untyped-def]
    raise ValueError("invalid literal for int() with base 10: 'Петренко 1999'")
