"""Ask every internal health URL of a stack from inside its VPC; exit 0 only if all answer 2xx.

Run as the stack's `health-probe` task: by the promotion gate after each deploy
(`python -m tools.gate`) and on its schedule (its failure alarm notifies the stack's topic).
The URLs come from `HEALTH_CHECK_URLS`, a JSON object of name -> URL (the stack's
`health_check_urls` output, given by the program); each is retried a few times so one slow
answer during a rollout is not a failure. Standard library only: the image needs no package.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request


def status_of(url: str, timeout: float) -> int:
    """The HTTP status of a GET, 0 when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # internal http only
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return 0


def probe(urls: dict[str, str], *, attempts: int = 3, delay: float = 5, timeout: float = 5):
    """Every name whose URL did not answer 2xx in `attempts` tries, with what it answered."""
    failed: dict[str, int] = {}
    for name, url in sorted(urls.items()):
        for attempt in range(attempts):
            status = status_of(url, timeout)
            if 200 <= status < 300:
                print(f"ok   {name}: {url} {status}", flush=True)
                failed.pop(name, None)
                break
            failed[name] = status
            if attempt + 1 < attempts:
                time.sleep(delay)
        else:
            print(f"FAIL {name}: {url} {failed[name] or 'no answer'}", flush=True)
    return failed


def main() -> int:
    urls = json.loads(os.environ.get("HEALTH_CHECK_URLS") or "{}")
    if not urls:
        print("HEALTH_CHECK_URLS is empty: nothing to probe", file=sys.stderr)
        return 2
    attempts = int(os.environ.get("PROBE_ATTEMPTS", "3"))
    return 1 if probe(urls, attempts=attempts) else 0


if __name__ == "__main__":
    sys.exit(main())
