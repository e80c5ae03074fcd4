"""The default service catalog: the five AccessWeaver services, as data.

Shaped exactly like the `services` stack-config key so a stack can replace it with its own
system. Sizes: seed table "Allocation des Ressources par Environnement"; task counts: the three
architecture drawings; deploy order: the seed's deploy.sh.
"""

from __future__ import annotations


def _size(cpu: int, memory: int, desired_count: int) -> dict[str, int]:
    return {"cpu": cpu, "memory": memory, "desiredCount": desired_count}


ACCESSWEAVER_CATALOG: dict[str, dict] = {
    "aw-api-gateway": {
        "description": "Point d'entrée + Auth JWT",
        "port": 8080,
        "public": True,
        # The entry point: every request the ALB has no other rule for (edge.enabled stacks).
        "defaultRoute": True,
        "criticality": "critical",
        "springBoot": True,
        "deployOrder": 50,
        "sizes": {
            "dev": _size(256, 512, 1),
            "staging": _size(512, 1024, 2),
            "prod": _size(1024, 2048, 3),
        },
    },
    "aw-pdp-service": {
        "description": "Policy Decision Point",
        "port": 8081,
        "public": False,
        "criticality": "critical",
        "springBoot": True,
        "deployOrder": 30,
        "sizes": {
            "dev": _size(512, 1024, 1),
            "staging": _size(1024, 2048, 2),
            "prod": _size(2048, 4096, 3),
        },
    },
    "aw-pap-service": {
        "description": "Policy Administration",
        "port": 8082,
        "public": False,
        "criticality": "important",
        "springBoot": True,
        "deployOrder": 20,
        "sizes": {
            "dev": _size(256, 512, 1),
            "staging": _size(512, 1024, 1),
            "prod": _size(1024, 2048, 2),
        },
    },
    "aw-tenant-service": {
        "description": "Multi-tenancy management",
        "port": 8083,
        "public": False,
        "criticality": "important",
        "springBoot": True,
        "deployOrder": 10,
        "sizes": {
            "dev": _size(256, 512, 1),
            "staging": _size(256, 512, 1),
            "prod": _size(512, 1024, 2),
        },
    },
    "aw-audit-service": {
        "description": "Logging & compliance",
        "port": 8084,
        "public": False,
        "criticality": "moderate",
        "springBoot": True,
        "deployOrder": 40,
        "sizes": {
            "dev": _size(256, 512, 1),
            "staging": _size(256, 512, 1),
            "prod": _size(512, 1024, 2),
        },
    },
}
