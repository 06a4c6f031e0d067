"""A fake Paragon for your tests: no network, no extra install, started in milliseconds on a
free port of 127.0.0.1. Mocking libraries (``responses``, ``respx``) cannot see this package's
calls (they are made in Rust); point the client at a fake instead::

    from paragon_connect.testing import FakeParagon

    def test_posts_the_summary():
        with FakeParagon() as fake:
            fake.route("slack", "POST", "/chat.postMessage").reply(json={"ok": True})
            paragon = fake.client(user="user-1")   # or build your own from fake.env()

            post_summary(paragon)                   # your code

            fake.assert_called("slack", "POST", "/chat.postMessage",
                               json_includes={"channel": "C0"})

With pytest, the ``paragon_fake`` fixture gives a fresh one per test (the plugin is installed
with the package). A route answers as the integration would: the fake wraps the reply as
Paragon's proxy does (``{"output": ...}`` for a success, Paragon's integration error for an error
status, untouched for a raw call). Calls no route matches reach built-in fake APIs: ``slack``
(Slack-like), ``googledrive`` (Drive-like files), ``custom.tasklab``, and ``echo`` (sends back
what it got); any other integration answers 404 naming the call and the routes.

To test against real answers without calling the real API on every run, record a cassette once
with :meth:`FakeParagon.recording` and replay it offline with :meth:`FakeParagon.replaying`.
"""

from __future__ import annotations

import base64
import json as _json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

from ._native import AsyncParagon, FakeServer, Paragon

__all__ = ["Call", "FakeParagon", "Part", "Route"]

_UNSET: Any = object()


@dataclass(frozen=True)
class Part:
    """One part of a multipart body (an upload)."""

    name: str | None
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class Call:
    """One call the fake received, decoded.

    ``integration`` is ``None`` for the user-scoped API (``/sdk/me``, credentials, events,
    workflows). ``path`` is the integration's path (``/chat.postMessage``) without the query,
    which is in ``query``. The body is decoded by its content type into ``json``, ``form``,
    ``parts`` or ``text``; ``body`` has its bytes. The ``authorization`` header shows the user a
    token stands for (``Bearer <user token: user-1>``), never the token.
    """

    integration: str | None
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: list[tuple[str, str]]
    user: str | None
    body: bytes
    json: Any = None
    form: list[tuple[str, str]] | None = None
    parts: list[Part] | None = None
    text: str | None = None
    answered: bool = True
    params: dict[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # The query as a dict (the first value of a repeated name), for quick assertions.
        params: dict[str, str] = {}
        for name, value in self.query:
            params.setdefault(name, value)
        object.__setattr__(self, "params", params)

    def header(self, name: str) -> str | None:
        """The first value of a header (case-insensitive name), or ``None``."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key == wanted), None)

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> Call:
        body = data["body"]
        kind, value = body["kind"], body.get("value")
        pairs = [tuple(pair) for pair in value] if kind == "form" else None
        parts = None
        if kind == "multipart":
            parts = [
                Part(
                    p["name"], p["filename"], p["content_type"], base64.b64decode(p["data_base64"])
                )
                for p in value
            ]
        return cls(
            integration=data["integration"],
            method=data["method"],
            path=data["path"],
            query=[(name, value) for name, value in data["query"]],
            headers=[(name, value) for name, value in data["headers"]],
            user=data["user"],
            body=base64.b64decode(data["body_base64"]),
            json=value if kind == "json" else None,
            form=pairs,
            parts=parts,
            text=value if kind == "text" else None,
            answered=data["answered"],
        )


def _calls(text: str) -> list[Call]:
    return [Call._from_json(item) for item in _json.loads(text)]


def _pattern(
    integration: str | None,
    method: str | None,
    path: str | re.Pattern[str] | None,
    query: Mapping[str, str] | None,
    headers: Mapping[str, str] | None,
    json: Any,
    json_includes: Any,
    user: str | None,
) -> str:
    pattern: dict[str, Any] = {}
    if integration is not None:
        pattern["integration"] = integration
    if method is not None:
        pattern["method"] = method
    if isinstance(path, re.Pattern):
        pattern["path_regex"] = path.pattern
    elif path is not None:
        pattern["path"] = path
    if query is not None:
        pattern["query"] = dict(query)
    if headers is not None:
        pattern["headers"] = dict(headers)
    if json is not _UNSET:
        pattern["json"] = json
    if json_includes is not _UNSET:
        pattern["json_includes"] = json_includes
    if user is not None:
        pattern["user"] = user
    return _json.dumps(pattern)


class Route:
    """Calls a pattern matches, and the replies they get, in order (the last one repeating).

    Each of :meth:`reply`, :meth:`error` and :meth:`drop_connection` adds a reply and returns
    the route, so ``route.reply(status=503).reply(json={...})`` answers 503 once, then the JSON.
    """

    def __init__(self, server: FakeServer, route_id: int, pattern: str) -> None:
        self._server = server
        self._id = route_id
        self._pattern = pattern

    def reply(
        self,
        *,
        json: Any = _UNSET,
        text: str | None = None,
        body: bytes | None = None,
        status: int = 200,
        headers: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        delay: float | None = None,
        raw: bool = False,
    ) -> Route:
        """Adds the integration's answer: a JSON value, text or bytes, with a status, headers
        and a delay in seconds. The fake wraps it as Paragon does (``{"output": ...}`` for a
        2xx, Paragon's integration error otherwise, untouched when the call asked for the raw
        answer); with ``raw=True`` it is sent to the client exactly as given."""
        reply: dict[str, Any] = {"status": status, "raw": raw}
        if json is not _UNSET:
            reply["json"] = json
        if text is not None:
            reply["text"] = text
        if body is not None:
            reply["body_base64"] = base64.b64encode(body).decode()
        if headers is not None:
            reply["headers"] = (
                dict(headers) if isinstance(headers, Mapping) else [list(h) for h in headers]
            )
        if delay is not None:
            reply["delay"] = delay
        self._server.add_reply(self._id, _json.dumps(reply))
        return self

    def error(
        self,
        status: int,
        message: str | None = None,
        *,
        code: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> Route:
        """Adds an error from Paragon itself (not from the integration): ``{"message",
        "status", "code", "meta"}`` as Paragon sends it, e.g. ``error(401, code="4011")``."""
        error: dict[str, Any] = {"status": status}
        if message is not None:
            error["message"] = message
        if code is not None:
            error["code"] = code
        if meta is not None:
            error["meta"] = dict(meta)
        self._server.add_reply(self._id, _json.dumps({"error": error}))
        return self

    def drop_connection(self) -> Route:
        """Adds a reply that closes the connection without answering (a ``ConnectionError``)."""
        self._server.add_reply(self._id, _json.dumps({"drop_connection": True}))
        return self

    @property
    def call_count(self) -> int:
        """How many calls this route answered."""
        return self._server.route_calls(self._id)

    @property
    def calls(self) -> list[Call]:
        """The calls this route's pattern matches (answered by it or not), oldest first."""
        return _calls(self._server.calls(self._pattern))

    def __repr__(self) -> str:
        return f"<Route {self._pattern} answered={self.call_count}>"


def _names(argument: str, names: Sequence[str]) -> list[str]:
    # A lone string is a sequence too: its letters would be taken for names.
    if isinstance(names, str) or not all(isinstance(name, str) for name in names):
        raise TypeError(f"{argument} is a list of names, not {names!r}")
    return list(names)


class FakeParagon:
    """A fake Paragon on 127.0.0.1 (see the module's documentation).

    ``port=0`` picks a free port. Tokens must be signed with :attr:`signing_key` (as
    :meth:`client` and :meth:`env` do), as Paragon verifies them; ``accept_any_token=True``
    takes any Bearer token (for code that brings its own).
    """

    def __init__(self, *, port: int = 0, accept_any_token: bool = False) -> None:
        self._start({"port": port, "accept_any_token": accept_any_token}, None)

    def _start(self, options: dict[str, Any], upstream: Paragon | AsyncParagon | None) -> None:
        self._server = FakeServer(_json.dumps(options), upstream)
        self._closed = False

    @classmethod
    def recording(
        cls,
        to: str | PathLike[str],
        upstream: Paragon | AsyncParagon | Mapping[str, Any] | None = None,
        *,
        secret_headers: Sequence[str] = (),
        port: int = 0,
        accept_any_token: bool = False,
    ) -> FakeParagon:
        """A fake that sends every call no route answers on to the real Paragon and, when it is
        closed, writes the exchanges to the cassette ``to`` (JSON; directories made, an old file
        replaced). ``upstream`` says how to reach Paragon: a client, or its settings
        (``{"project_id": ..., "signing_key": ...}``); by default a client from the
        ``PARAGON_*`` environment variables as they are now. Your code keeps calling the fake
        with the fake's tokens; each call is sent on with the upstream's token for the same
        user (signed with its key, or its one fixed token).

        The file never holds a token or key: ``Authorization`` is left out, the values of
        headers named like credentials (cookies, keys, tokens, secrets, anything with "auth")
        and of ``secret_headers`` are ``<scrubbed>``, and an upstream token found in an answer
        is replaced. Closing raises ``AssertionError`` if a call could not be sent on (the
        cassette is written anyway)."""
        if upstream is None:
            upstream = Paragon()
        elif isinstance(upstream, Mapping):
            upstream = Paragon(**upstream)
        cassette = {
            "path": str(Path(to)),
            "mode": "record",
            "secret_headers": _names("secret_headers", secret_headers),
        }
        fake = cls.__new__(cls)
        options = {"port": port, "accept_any_token": accept_any_token, "cassette": cassette}
        fake._start(options, upstream)
        return fake

    @classmethod
    def replaying(
        cls,
        cassette: str | PathLike[str],
        *,
        match_on: Sequence[str] | None = None,
        secret_headers: Sequence[str] = (),
        port: int = 0,
        accept_any_token: bool = False,
    ) -> FakeParagon:
        """A fake that answers from a cassette :meth:`recording` wrote, offline. A call gets
        the answer of the first exchange not yet played that recorded the same integration,
        method, path, query (in any order), user and body; ``match_on`` names the fields that
        must match instead (any of ``"integration"``, ``"method"``, ``"path"``, ``"query"``,
        ``"user"``, ``"body"``). A call that matches nothing is answered 404 (not retried)
        and makes :meth:`close` (and the ``with`` block's end) raise ``AssertionError`` naming
        it. Routes you add still answer first. Give the ``secret_headers`` the recording had."""
        options = {
            "path": str(Path(cassette)),
            "mode": "replay",
            "secret_headers": _names("secret_headers", secret_headers),
        }
        if match_on is not None:
            options["match_on"] = _names("match_on", match_on)
        fake = cls.__new__(cls)
        fake._start({"port": port, "accept_any_token": accept_any_token, "cassette": options}, None)
        return fake

    def assert_all_played(self) -> None:
        """Asserts that every exchange of the replayed cassette was played (and that no call
        went unmatched); the ``AssertionError`` lists what is left."""
        self._server.check_all_played()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: the base URL of every Paragon service it fakes."""
        return self._server.url

    @property
    def project_id(self) -> str:
        return self._server.project_id

    @property
    def signing_key(self) -> str:
        """The test signing key (PEM) whose tokens the fake accepts. It signs nothing else."""
        return self._server.signing_key

    def user_token(self, user: str = "user-1") -> str:
        """A valid one-hour token for ``user``."""
        return self._server.user_token(user)

    def env(self, *, user: str | None = None) -> dict[str, str]:
        """The ``PARAGON_*`` variables that point a client built from the environment at the
        fake: the signing key, or ``user``'s token when given. For ``monkeypatch.setenv``."""
        variables = {
            "PARAGON_PROJECT_ID": self.project_id,
            "PARAGON_PROXY_BASE_URL": self.url,
            "PARAGON_ZEUS_BASE_URL": self.url,
            "PARAGON_HERMES_BASE_URL": self.url,
        }
        if user is None:
            variables["PARAGON_SIGNING_KEY"] = self.signing_key
        else:
            variables["PARAGON_USER_TOKEN"] = self.user_token(user)
        return variables

    def _settings(self, user: str | None, settings: dict[str, Any]) -> dict[str, Any]:
        given = dict(
            project_id=self.project_id,
            proxy_base_url=self.url,
            zeus_base_url=self.url,
            hermes_base_url=self.url,
        )
        if user is not None:
            given["user_token"] = self.user_token(user)
        elif "user_token" not in settings:
            given["signing_key"] = self.signing_key
        return {**given, **settings}

    def client(self, *, user: str | None = None, **settings: Any) -> Paragon:
        """A :class:`~paragon_connect.Paragon` pointed at the fake, calling as ``user``, or
        signing per user (``client().user("u1")``) without one. Other settings pass through."""
        return Paragon(**self._settings(user, settings))

    def async_client(self, *, user: str | None = None, **settings: Any) -> AsyncParagon:
        """As :meth:`client`, an :class:`~paragon_connect.AsyncParagon`."""
        return AsyncParagon(**self._settings(user, settings))

    def route(
        self,
        integration: str | None = None,
        method: str | None = None,
        path: str | re.Pattern[str] | None = None,
        *,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = _UNSET,
        json_includes: Any = _UNSET,
        user: str | None = None,
        times: int | None = None,
    ) -> Route:
        """A route for the proxy calls that match every part given: the integration, the method
        (any case), the path (exact; a glob, ``*`` within a segment, ``**`` across; or a
        compiled ``re`` pattern, searched), query parameters and headers that must be present
        with these values, the JSON body (``json``: equal; ``json_includes``: objects may hold
        more keys), the token's user. The newest matching route answers; with ``times`` a route
        steps aside after that many calls. Add its replies with :meth:`Route.reply`."""
        pattern = _pattern(integration, method, path, query, headers, json, json_includes, user)
        return Route(self._server, self._server.add_route(pattern, times), pattern)

    def load_routes(self, routes: str | PathLike[str]) -> int:
        """Adds the routes of a JSON file (the format ``paragon-connect fake --routes`` reads:
        a list of ``{"match": {...}, "replies": [...], "times": n}``); gives how many."""
        return self._server.add_routes_file(Path(routes).read_text())

    @property
    def calls(self) -> list[Call]:
        """Every call received so far, oldest first (proxy and user-scoped API)."""
        return _calls(self._server.calls())

    def find_calls(
        self,
        integration: str | None = None,
        method: str | None = None,
        path: str | re.Pattern[str] | None = None,
        *,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = _UNSET,
        json_includes: Any = _UNSET,
        user: str | None = None,
    ) -> list[Call]:
        """The calls matching a pattern (as :meth:`route` takes it), oldest first."""
        pattern = _pattern(integration, method, path, query, headers, json, json_includes, user)
        return _calls(self._server.calls(pattern))

    def assert_called(
        self,
        integration: str | None = None,
        method: str | None = None,
        path: str | re.Pattern[str] | None = None,
        *,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = _UNSET,
        json_includes: Any = _UNSET,
        user: str | None = None,
        times: int | None = None,
    ) -> list[Call]:
        """Asserts that calls matching the pattern were received (``times`` of them, or at
        least one) and gives them. The ``AssertionError`` names the pattern and lists the calls
        received."""
        pattern = _pattern(integration, method, path, query, headers, json, json_includes, user)
        return _calls(self._server.check_called(pattern, times))

    def assert_not_called(
        self,
        integration: str | None = None,
        method: str | None = None,
        path: str | re.Pattern[str] | None = None,
        *,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = _UNSET,
        json_includes: Any = _UNSET,
        user: str | None = None,
    ) -> None:
        """Asserts that no call matching the pattern was received."""
        pattern = _pattern(integration, method, path, query, headers, json, json_includes, user)
        self._server.check_called(pattern, 0)

    def set_user(
        self,
        user: str,
        *,
        meta: Mapping[str, Any] | None = None,
        credentials: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """Creates or changes a user of the user-scoped API: ``meta`` merged into theirs,
        ``credentials`` replacing the connected accounts of each integration named (ids, the
        first the default; an empty list: not connected). A new user has Slack (two accounts),
        Google Drive and TaskLab connected."""
        update: dict[str, Any] = {}
        if meta is not None:
            update["meta"] = dict(meta)
        if credentials is not None:
            update["credentials"] = {name: list(ids) for name, ids in credentials.items()}
        self._server.update_user(user, _json.dumps(update))

    @property
    def users(self) -> dict[str, Any]:
        """Each user the fake knows: ``{"meta": {...}, "credentials": {"slack": [ids]}}``."""
        return dict(_json.loads(self._server.state())["users"])

    @property
    def events(self) -> list[Any]:
        """The app events received (``paragon.event(...)``), oldest first."""
        return list(_json.loads(self._server.state())["events"])

    @property
    def triggers(self) -> list[Any]:
        """The workflow triggers received (``paragon.workflow(...)``), oldest first."""
        return list(_json.loads(self._server.state())["triggers"])

    def reset(self) -> None:
        """Forgets routes, calls, users and events (the server keeps running)."""
        self._server.reset()

    def close(self) -> None:
        """Stops the server (calling it again does nothing). A recording writes its cassette
        first; a replay raises ``AssertionError`` if a call matched no exchange."""
        if self._closed:
            return
        self._closed = True
        try:
            self._server.finish_cassette()
        finally:
            self._server.close()

    def __enter__(self) -> FakeParagon:
        return self

    def __exit__(self, exc_type: object, *exc_info: object) -> None:
        try:
            self.close()
        except AssertionError:
            # The block's own exception says more; a cassette's complaint would hide it.
            if exc_type is None:
                raise

    def __repr__(self) -> str:
        return f"<FakeParagon {self.url}>"
