"""Where each message came from, as the channel that brought it tells it.

The tickets core keeps the conversation; how a message reached it (the email
header that placed it, the full original before quotes were cut; later a chat
transcript or a portal form) lives in the channel's own rows. A channel
registers a reader here in its `AppConfig.ready()`, so pages and the API show
provenance without `tickets` importing any channel: one query per channel per
conversation.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence

from helpline.tickets.models import Message, MessageSource

SourceReader = Callable[[Sequence[Message]], Mapping[int, MessageSource]]

_readers: list[SourceReader] = []


def register(reader: SourceReader) -> None:
    if reader not in _readers:
        _readers.append(reader)


def with_sources(messages: Iterable[Message]) -> list[Message]:
    """The messages, each with `.source` filled in by the channel that knows it."""
    loaded = list(messages)
    found: dict[int, MessageSource] = {}
    for reader in _readers if loaded else []:
        found.update(reader(loaded))
    for message in loaded:
        if message.pk in found:
            message.__dict__["_source"] = found[message.pk]
    return loaded
