"""The team server: a Starlette app (JSON API under /api/, server-rendered pages) over the library.

The web layer holds no SQL and no domain rule: every read and write goes through forecasts.server.library.
"""
