"""Faults as code: AWS FIS experiment templates that stop a share of each service's tasks,
disrupt one Availability Zone's subnets, fail the database over and cut one AZ's power under
the cache, each stopped by the stack's guard alarm, run by a role limited to the stack's own
resources (`fault_injection.py`; pure builders in `experiments.py`; stack config in
`config.py`)."""
