"""``make audit``: known vulnerabilities in the locked versions, with pip-audit (I/O: runs
pip-audit, which asks a vulnerability database over the network).

pip-audit's default database is PyPI's JSON API. When it cannot reach it (no internet, a
proxy or mirror that serves only the package index), pip-audit marks every package "could not
be audited", prints "No known vulnerabilities found" and exits 0: a silent pass. This wrapper
reads its JSON report and says plainly what was and was not checked.

Exit status: 0 every package audited, none vulnerable; 1 vulnerabilities found; 2 the audit
was not done or not complete (database unreachable, pip-audit failed). An audit that did not
happen is not a pass, so 2 fails `make audit`.

    python tools/audit.py requirements.lock
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

#: pip-audit on ~40 pinned packages takes a few seconds online; offline it fails fast.
AUDIT_TIMEOUT_S = 300


@dataclass(frozen=True)
class AuditReport:
    audited: int
    skipped: list[tuple[str, str]]  # (package, pip-audit's reason)
    vulnerable: list[tuple[str, str, list[str]]]  # (package, version, vulnerability ids)


def read_report(data: dict[str, Any]) -> AuditReport:
    audited, skipped, vulnerable = 0, [], []
    for dep in data.get("dependencies", []):
        if dep.get("skip_reason"):
            skipped.append((dep.get("name", "?"), str(dep["skip_reason"])))
            continue
        audited += 1
        vulns = [v.get("id", "?") for v in dep.get("vulns", [])]
        if vulns:
            vulnerable.append((dep["name"], dep.get("version", "?"), vulns))
    return AuditReport(audited, skipped, vulnerable)


def verdict(r: AuditReport) -> tuple[int, str]:
    """Exit status and the message for a report."""
    if r.vulnerable:
        lines = [f"  {n} {v}: {', '.join(ids)}" for n, v, ids in r.vulnerable]
        return 1, "audit: KNOWN VULNERABILITIES in the locked versions:\n" + "\n".join(lines)
    if r.skipped:
        total = r.audited + len(r.skipped)
        example = r.skipped[0][1]
        return 2, (
            f"audit NOT DONE: {len(r.skipped)} of {total} packages could not be checked — "
            "the vulnerability database (pip-audit's default: PyPI's JSON API) could not be "
            f"reached from here. pip-audit said, e.g.: {example!r}. Run `make audit` on a "
            "machine with internet access; this is not a pass."
        )
    if not r.audited:
        return 2, "audit NOT DONE: pip-audit checked no package at all"
    return 0, f"audit: {r.audited} locked packages checked, no known vulnerabilities"


def main(argv: list[str]) -> int:
    lock = argv[1] if len(argv) > 1 else "requirements.lock"
    cmd = [
        sys.executable, "-m", "pip_audit", "-r", lock, "--require-hashes", "--no-deps",
        "--disable-pip", "--format", "json", "--progress-spinner", "off",
    ]  # fmt: skip
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=AUDIT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        print(f"audit NOT DONE: pip-audit gave no answer in {AUDIT_TIMEOUT_S} s", file=sys.stderr)
        return 2
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        print(
            "audit NOT DONE: pip-audit could not reach its vulnerability database or failed "
            f"(exit {proc.returncode}): {tail}",
            file=sys.stderr,
        )
        return 2
    status, message = verdict(read_report(data))
    print(message, file=sys.stderr if status else sys.stdout)
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
