"""Who may act from the web UI: bearer tokens from a mounted Secret, browser sessions, CSRF.

The tokens live in ``settings.ui_tokens_dir``, one file per token (a Secret mounted as a
volume): the file's name is the token's name, recorded with every action; its content is the
token. They are read again at each check, so a rotated or removed token counts at once.

A script sends ``Authorization: Bearer <token>`` with its POST (no cookie: no CSRF). A browser
signs in once with the token on the sign-in page and then holds a session cookie (HttpOnly,
SameSite=Strict, path /ui/); each of its forms carries the session's CSRF token, compared in
constant time. A session ends with sign-out, after ``SESSION_SECONDS``, or when its token is
no longer in the folder. Tokens never reach a log line or a page.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

COOKIE = "alert_ui_session"
SESSION_SECONDS = 8 * 3600
MAX_SESSIONS = 1000
MAX_TOKEN_BYTES = 4096


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    name: str  # the token's name
    csrf: str
    token_digest: str
    expires: float


class Tokens:
    """The tokens of a folder: name -> token (files that are not readable text are skipped)."""

    def __init__(self, folder: str | None) -> None:
        self._folder = None if folder is None else Path(folder)

    def _read(self) -> dict[str, str]:
        if self._folder is None or not self._folder.is_dir():
            return {}
        found = {}
        for path in sorted(self._folder.iterdir()):
            # A mounted Secret also holds ..data and ..<timestamp> entries (symlinked folders).
            if path.name.startswith(".") or not path.is_file():
                continue
            try:
                raw = path.read_bytes()[:MAX_TOKEN_BYTES].decode().strip()
            except (OSError, UnicodeDecodeError):
                continue
            if raw:
                found[path.name] = raw
        return found

    def name_of(self, token: str) -> str | None:
        """The name of ``token``, or None (every stored token is compared: constant time)."""
        match = None
        for name, known in self._read().items():
            if secrets.compare_digest(known.encode(), token.encode()):
                match = name
        return match

    def holds(self, name: str, token_digest: str) -> bool:
        known = self._read().get(name)
        return known is not None and secrets.compare_digest(_digest(known), token_digest)


class Auth:
    """Sessions in memory (an operator restart signs everyone out: that is fine)."""

    def __init__(self, tokens: Tokens) -> None:
        self.tokens = tokens
        self._sessions: dict[str, Session] = {}

    def sign_in(self, token: str) -> tuple[str, Session] | None:
        name = self.tokens.name_of(token)
        if name is None:
            return None
        now = time.monotonic()
        self._sessions = {key: s for key, s in self._sessions.items() if s.expires > now}
        while len(self._sessions) >= MAX_SESSIONS:
            self._sessions.pop(next(iter(self._sessions)))
        key = secrets.token_urlsafe(32)
        session = Session(name, secrets.token_urlsafe(32), _digest(token),
                          now + SESSION_SECONDS)
        self._sessions[key] = session
        return key, session

    def session_of(self, request: web.Request) -> Session | None:
        key = request.cookies.get(COOKIE)
        session = None if key is None else self._sessions.get(key)
        if session is None:
            return None
        if session.expires <= time.monotonic() or not self.tokens.holds(
                session.name, session.token_digest):
            self._sessions.pop(str(key), None)
            return None
        return session

    def sign_out(self, request: web.Request) -> None:
        self._sessions.pop(request.cookies.get(COOKIE) or "", None)

    async def actor(self, request: web.Request) -> str:
        """The token's name for a POST, or raise 401/403: a bearer token, or a session whose
        CSRF token came with the form."""
        check_origin(request)
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            name = self.tokens.name_of(header.removeprefix("Bearer ").strip())
            if name is None:
                raise web.HTTPUnauthorized(text="invalid token\n",
                                           headers={"WWW-Authenticate": "Bearer"})
            return name
        session = self.session_of(request)
        if session is None:
            raise web.HTTPUnauthorized(text="sign in first (or send a bearer token)\n",
                                       headers={"WWW-Authenticate": "Bearer"})
        form = await request.post()
        given = str(form.get("csrf") or "")
        if not secrets.compare_digest(given.encode(), session.csrf.encode()):
            raise web.HTTPForbidden(text="CSRF token missing or wrong: reload the page\n")
        return session.name


def check_origin(request: web.Request) -> None:
    """A browser's POST from another site is refused before anything else (defence in depth
    beside SameSite cookies and the CSRF token); a client that sends no Origin is not a
    browser page."""
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        raise web.HTTPForbidden(text="cross-site request refused\n")


def set_cookie(response: web.StreamResponse, key: str, secure: bool) -> None:
    response.set_cookie(COOKIE, key, path="/ui/", httponly=True, samesite="Strict",
                        secure=secure, max_age=SESSION_SECONDS)
