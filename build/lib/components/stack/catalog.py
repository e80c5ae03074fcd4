"""The default service catalog: the five AccessWeaver services and their graph, as data.

Shaped exactly like the `services` stack-config key so a stack can replace it with its own
system. Sizes: seed table "Allocation des Ressources par Environnement"; task counts: the three
architecture drawings; deploy order: the seed's deploy.sh. The graph (`calls`, `uses`) follows
the seed's roles: the gateway is the entry point and authenticates ("Point d'entrée + Auth
JWT") and is the only caller of the four others (its application.yml lists them); the policy
services and the tenant service keep their state in PostgreSQL, the decision point caches its
decisions in Redis and the administration point invalidates them; the audit service keeps the
trail in PostgreSQL and archives it to the documents bucket ("Logging & compliance"). The README
("The service graph") explains each edge.
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
        # Authenticates every request: Keycloak's keys for user tokens, the JWT key for the
        # internal tokens it hands the services, Redis for rate limits and token caching.
        "uses": {"keycloak": True, "jwtKey": True, "cache": True},
        "calls": ["aw-pdp-service", "aw-pap-service", "aw-tenant-service", "aw-audit-service"],
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
        # Reads the policies it evaluates, caches decisions across its tasks.
        "uses": {"database": True, "cache": True},
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
        # Stores the policies; clears the decision point's cached decisions when one changes.
        "uses": {"database": True, "cache": True},
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
        "uses": {"database": True},
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
        # The audit trail in PostgreSQL, archived to the documents bucket for compliance.
        "uses": {"database": True, "documents": "readWrite"},
        "sizes": {
            "dev": _size(256, 512, 1),
            "staging": _size(256, 512, 1),
            "prod": _size(512, 1024, 2),
        },
    },
}
