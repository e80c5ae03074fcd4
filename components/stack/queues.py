"""The work queues of the service graph (`uses.consumes`, `uses.sendsTo`, `queues`), resolved
and checked (pure: no Pulumi resources).

A queue exists because a service consumes it: exactly one consumer per queue (two services
competing for the same messages would each see half the work), any number of senders, and a
`queues.<name>` entry only to tune one that exists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from ..data.config import QueueConfig, QueueSettings
from ..errors import ConfigIssue


class QueueUser(Protocol):
    name: str
    uses: object


def resolve_queues(
    services: Sequence[QueueUser],
    config: Mapping[str, QueueConfig],
    *,
    prefix: str,
    service_path: Callable[[str], str],
    issues: list[ConfigIssue],
) -> tuple[QueueSettings, ...]:
    consumers: dict[str, list[str]] = {}
    senders: dict[str, list[tuple[str, int]]] = {}
    for service in services:
        consumed = getattr(service.uses, "consumes", None)
        if consumed:
            consumers.setdefault(consumed, []).append(service.name)
        seen: set[str] = set()
        for index, queue in enumerate(getattr(service.uses, "sends_to", ()) or ()):
            if queue in seen:
                issues.append(
                    ConfigIssue(
                        f"{service_path(service.name)}.uses.sendsTo[{index}]",
                        queue,
                        "listed twice",
                        "each queue once",
                    )
                )
                continue
            seen.add(queue)
            senders.setdefault(queue, []).append((service.name, index))
    for queue, names in sorted(consumers.items()):
        for extra in names[1:]:
            issues.append(
                ConfigIssue(
                    f"{service_path(extra)}.uses.consumes",
                    queue,
                    f"{names[0]} already consumes {queue}: two consumers would each get part of "
                    "the messages",
                    "one consuming service per queue (scale it with scaling.backlogPerTask), or "
                    "another queue",
                )
            )
    for queue, users in sorted(senders.items()):
        if queue not in consumers:
            for name, index in users:
                issues.append(
                    ConfigIssue(
                        f"{service_path(name)}.uses.sendsTo[{index}]",
                        queue,
                        "no service consumes this queue: its messages would pile up",
                        "a queue another service declares in uses.consumes"
                        + (f" ({', '.join(sorted(consumers))})" if consumers else ""),
                    )
                )
    for queue in sorted(set(config) - set(consumers)):
        issues.append(
            ConfigIssue(
                f"queues.{queue}",
                "set",
                "no service consumes this queue, so the program creates none",
                "a queue named in some service's uses.consumes"
                + (f": {', '.join(sorted(consumers))}" if consumers else ""),
            )
        )
    settings = []
    for queue, names in sorted(consumers.items()):
        tuning = config.get(queue) or QueueConfig()
        settings.append(
            QueueSettings(
                name=queue,
                physical=f"{prefix}-{queue}",
                consumer=names[0],
                senders=tuple(sorted(name for name, _ in senders.get(queue, []))),
                visibility_timeout_seconds=tuning.visibility_timeout_seconds,
                message_retention_days=tuning.message_retention_days,
                max_receive_count=tuning.max_receive_count,
            )
        )
    return tuple(settings)
