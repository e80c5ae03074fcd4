"""Every control ID the policy pack enforces, as data (no Pulumi import).

IDs are AWS Security Hub FSBP control IDs where one exists (`ECS.2`, `RDS.23`), the recommended
controls of docs/CONTROLS.md with a trailing `*` (`ELB.16*`), and `REL.1`-`REL.9` for its
reliability rows. A row of CONTROLS.md that names several IDs (`RDS.2/3/4`) is split into one ID
per control, so a waiver names exactly what it waives. The stack config validates
`policyWaivers[].control` against this table (`components/config/model.py`).
"""

from __future__ import annotations

CONTROLS: dict[str, str] = {
    # ECS
    "ECS.2": "ECS services do not assign public IPs",
    "ECS.3": "task definitions do not share the host's process namespace",
    "ECS.4": "containers are not privileged",
    "ECS.5": "containers have a read-only root filesystem",
    "ECS.8": "no AWS credentials in container environment variables",
    "ECS.9": "every container has a log configuration",
    "ECS.10": "Fargate services run the latest platform version",
    "ECS.12": "clusters use Container Insights",
    "ECS.NonRoot*": "containers run as a non-root user, tasks use awsvpc networking",
    "FARGATE.1*": "Fargate ephemeral storage is encrypted with a customer managed key",
    "ECS.EfsTransit*": "EFS volumes of task definitions use TLS and IAM authorization",
    # EFS
    "EFS.1": "EFS file systems are encrypted at rest",
    "EFS.3": "EFS access points enforce a root directory",
    "EFS.4": "EFS access points enforce a user identity",
    # Load balancer
    "ELB.1": "HTTP listeners redirect to HTTPS",
    "ELB.4": "ALBs drop invalid HTTP headers",
    "ELB.5": "ALBs write access logs",
    "ELB.6": "ALBs have deletion protection",
    "ELB.12": "ALBs use defensive or strictest desync mitigation",
    "ELB.13": "ALBs span at least two Availability Zones",
    "ELB.16*": "internet-facing ALBs have a WAF web ACL",
    "ELB.17": "HTTPS listeners use a TLS 1.3 security policy",
    "WAF.10": "web ACLs have at least one rule",
    "WAF.12": "web ACL rules publish CloudWatch metrics",
    # Network
    "EC2.2": "the VPC default security group allows no traffic",
    "EC2.6": "VPC flow logs record all traffic",
    "EC2.15": "subnets do not auto-assign public IPs",
    "EC2.18": "internet ingress only to the ALB, on ports 80 and 443",
    "EC2.19": "high-risk ports are never open to the internet",
    "NET.1*": "tasks with a public IP admit connections from security groups only",
    # RDS
    "RDS.2": "DB instances are not publicly accessible",
    "RDS.3": "DB storage is encrypted at rest",
    "RDS.4": "DB snapshots are encrypted (they inherit storage encryption)",
    "RDS.5": "DB instances are Multi-AZ",
    "RDS.6": "DB instances have enhanced monitoring",
    "RDS.8": "DB instances have deletion protection",
    "RDS.9": "DB logs are exported to CloudWatch Logs",
    "RDS.10": "IAM database authentication is on",
    "RDS.11": "automated backups are kept at least 7 days",
    "RDS.13": "automatic minor version upgrades are on",
    "RDS.17": "tags are copied to snapshots",
    "RDS.23": "databases do not listen on the engine's default port",
    "RDS.25": "databases use a custom administrator name",
    "RDS.38*": "PostgreSQL connections must use TLS (rds.force_ssl=1)",
    # ElastiCache
    "ElastiCache.1": "Redis keeps automatic backups",
    "ElastiCache.2": "Redis applies minor version upgrades automatically",
    "ElastiCache.3": "Redis replication groups fail over automatically",
    "ElastiCache.4": "Redis is encrypted at rest",
    "ElastiCache.5": "Redis is encrypted in transit",
    "ElastiCache.6": "Redis requires authentication (AUTH token or RBAC)",
    "ElastiCache.7": "Redis uses its own subnet group, not the default",
    # S3
    "S3.2": "buckets prohibit public read access",
    "S3.3": "buckets prohibit public write access",
    "S3.5": "buckets require TLS (aws:SecureTransport)",
    "S3.8": "buckets block public access (all four settings)",
    "S3.12": "bucket ACLs are disabled (BucketOwnerEnforced)",
    "S3.13": "buckets have a lifecycle configuration",
    "S3.14*": "buckets are versioned",
    "S3.17*": "buckets are encrypted with SSE-KMS",
    # ECR
    "ECR.1": "repositories scan images on push",
    "ECR.2": "repositories have immutable tags",
    "ECR.3": "repositories have a lifecycle policy",
    # SQS
    "SQS.1": "queues are encrypted at rest",
    # Secrets, IAM, KMS, logs
    "SecretsManager.1": "secrets rotate automatically (RDS: AWS-managed master password)",
    "SecretsManager.4": "secrets rotate at least every 90 days",
    "IAM.1": "no policy grants *:* (full administrator)",
    "IAM.21": "no policy grants a service wildcard (service:*)",
    "KMS.1": "customer managed IAM policies do not allow decryption on all KMS keys",
    "KMS.2": "inline IAM policies do not allow decryption on all KMS keys",
    "KMS.4": "customer managed KMS keys rotate their material",
    "OIDC.1*": "roles trusting GitHub's OIDC provider admit one repository, environment and "
    "workflow file at one ref",
    "TRUST.1*": "roles an AWS service assumes name the account and resource (confused deputy)",
    "CloudWatch.16*": "log groups keep logs for a set retention period",
    # Least privilege per service (the service graph)
    "LP.1*": "every service has its own security group, open only along the service graph",
    "LP.2*": "every service has its own task role, with only what it uses",
    "LP.3*": "every service has its own execution role: its image, its logs, its secrets",
    "LP.4*": "a service's environment holds only what it uses and calls",
    "KC.1*": "Keycloak's admin console is not routed by a public listener",
    "KC.2*": "Keycloak's master realm is not routed by a public listener",
    "KC.3*": "Keycloak reads forwarded headers only from its proxies' addresses",
    "EDGE.1*": "no public listener rule forwards management endpoints (/actuator, /health)",
    "EDGE.2*": "web ACL body checks stay within what WAF inspects and choose their oversize "
    "handling",
    # Logs and audit
    "S3.9": "data buckets have server access logging",
    "WAF.11": "web ACLs log requests, the authorization header redacted",
    "EXEC.1*": "ECS Exec sessions are logged to a KMS-encrypted log group wherever exec is on",
    "EXEC.2*": "no service with ECS Exec holds or may read the database's master password",
    "LOG.1*": "security logs (flow, WAF, S3 access, ECS Exec) are kept at least a year, ALB "
    "access logs a quarter",
    "LOG.2*": "authentication and database logs are kept a year; WAF records hold no token or "
    "e-mail address of a query string",
    # Reliability (Well-Architected reliability pillar, ECS developer guide)
    "REL.1": "ECS deployments have a circuit breaker with rollback",
    "REL.2": "rolling deployments keep 100 % capacity (min 100 %, max 200 %)",
    "REL.3": "services run at least 2 tasks in at least 2 subnets (AZs)",
    "REL.4": "services behind a load balancer have a health-check grace period",
    "REL.5": "every essential container has a health check",
    "REL.6": "containers stop within Fargate's 120 s, after the target group drained",
    "REL.7": "stateful resources are protected from deletion",
    "REL.8": "every alarm notifies someone (alarm actions)",
    "REL.9": "autoscaled services ignore changes to desired_count",
    # Cost
    "COST.1": "the estimated monthly cost stays within monthlyBudgetUsd",
}


def canonical_control(text: str) -> str | None:
    """The catalog spelling of a control ID (case and a trailing `*` are not significant)."""
    wanted = str(text).strip().rstrip("*").lower()
    for control in CONTROLS:
        if control.rstrip("*").lower() == wanted:
            return control
    return None
