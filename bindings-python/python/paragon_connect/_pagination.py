"""The iterators ``paginate()`` returns. Each page is fetched by the core (``PageWalk``); this
module only hands out its pages or items and, for a pagination function, asks it where the next
page is."""

from __future__ import annotations

import inspect
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

__all__ = ["AsyncPages", "Pages"]


class Pages(Iterator[Any]):
    """The pages (or, with ``items=``, the items) of a walk, fetched one page at a time as the
    loop asks. Leaving the loop early sends nothing more."""

    __slots__ = ("_buffer", "_function", "_walk")

    def __init__(self, walk: Any, function: Callable[[Any], Any] | None) -> None:
        self._walk = walk
        self._function = function
        self._buffer: deque[Any] = deque()

    def __iter__(self) -> Pages:
        return self

    def __next__(self) -> Any:
        while not self._buffer:
            page = self._walk.next_page()
            if page is None:
                raise StopIteration
            data, items = page
            if self._function is not None:
                self._walk.set_next(self._function(data))
            if items is None:
                return data
            self._buffer.extend(items)
        return self._buffer.popleft()

    def __repr__(self) -> str:
        return "<paragon_connect Pages>"


class AsyncPages(AsyncIterator[Any]):
    """``async for`` over the pages (or items) of a walk. Cancelling the awaiting task stops the
    page being fetched; leaving the loop early sends nothing more."""

    __slots__ = ("_buffer", "_function", "_walk")

    def __init__(self, walk: Any, function: Callable[[Any], Any] | None) -> None:
        self._walk = walk
        self._function = function
        self._buffer: deque[Any] = deque()

    def __aiter__(self) -> AsyncPages:
        return self

    async def __anext__(self) -> Any:
        while not self._buffer:
            page = await self._walk.next_page()
            if page is None:
                raise StopAsyncIteration
            data, items = page
            if self._function is not None:
                next_page = self._function(data)
                if inspect.isawaitable(next_page):
                    next_page = await next_page
                self._walk.set_next(next_page)
            if items is None:
                return data
            self._buffer.extend(items)
        return self._buffer.popleft()

    def __repr__(self) -> str:
        return "<paragon_connect AsyncPages>"
