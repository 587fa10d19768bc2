"""`make audit`: pip-audit over the hash-pinned lock files, with a verdict that cannot be falsely clean.

pip-audit says "No known vulnerabilities found" and exits 0 even when it could not look a single
package up: a proxy that blocks PyPI's JSON API makes every lookup a 404, which pip-audit reports as
"Dependency not found on PyPI" and skips. This wrapper reads pip-audit's JSON report instead and
passes only when every pinned package was audited and none has a known vulnerability:

    exit 0  every dependency audited, no known vulnerability
    exit 1  known vulnerabilities (listed with their fixed versions)
    exit 2  the audit did not run or ran only in part (database unreachable, packages skipped)

Usage: python .ci/audit.py [--service pypi|osv] LOCK_FILE...
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

NOT_RUN = 2
VULNERABLE = 1


def run_pip_audit(lock: str, service: str, timeout: int) -> tuple[dict | None, str]:
    """pip-audit's JSON report for one lock file (None when it produced none) and its stderr."""
    fd, out = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    try:
        cmd = [sys.executable, "-m", "pip_audit", "-r", lock, "--require-hashes", "--disable-pip",
               "--vulnerability-service", service, "--timeout", str(timeout), "--progress-spinner", "off",
               "--format", "json", "--desc", "off", "--output", out]
        done = subprocess.run(cmd, capture_output=True, text=True)
        try:
            with open(out, encoding="utf-8") as fh:
                text = fh.read()
            report = json.loads(text) if text.strip() else None
        except (OSError, ValueError):
            report = None
        return report, done.stderr
    finally:
        os.unlink(out)


def verdict(lock: str, service: str, report: dict | None, stderr: str) -> tuple[int, list[str]]:
    """The exit code and the lines to print for one lock file's pip-audit report."""
    if report is None:
        tail = [line for line in stderr.strip().splitlines() if line.strip()][-3:]
        return NOT_RUN, [f"AUDIT DID NOT RUN for {lock}: pip-audit produced no report "
                         f"(is the {service} vulnerability database reachable from this machine?)",
                         *(f"    {line[:300]}" for line in tail)]
    deps = report.get("dependencies", [])
    skipped = [d for d in deps if d.get("skip_reason")]
    audited = [d for d in deps if not d.get("skip_reason")]
    if not audited:
        return NOT_RUN, [f"AUDIT DID NOT RUN for {lock}: none of its {len(deps)} packages could be looked up "
                         f"in the {service} vulnerability database, so nothing was checked. This is NOT a clean "
                         "result. The database is unreachable from here (a proxy that blocks PyPI's JSON API "
                         "makes every lookup a 404: 'Dependency not found on PyPI').",
                         *([f"    e.g. {skipped[0]['skip_reason']}"] if skipped else [])]
    lines, code = [], 0
    vulnerable = [d for d in audited if d.get("vulns")]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            lines.append(f"VULNERABLE {dep['name']}=={dep.get('version')}: {vuln.get('id')} (fixed in: {fixes})")
        code = VULNERABLE
    if skipped:
        lines.append(f"AUDIT INCOMPLETE for {lock}: {len(skipped)} of {len(deps)} packages were not checked:")
        lines += [f"    {d['name']}: {d['skip_reason']}" for d in skipped]
        code = max(code, NOT_RUN)
    if code == 0:
        lines.append(f"{lock}: all {len(audited)} pinned packages audited against {service}: "
                     "no known vulnerabilities")
    return code, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service", choices=("pypi", "osv"), default="pypi")
    parser.add_argument("--timeout", type=int, default=30)
    parser.add_argument("locks", nargs="+")
    args = parser.parse_args(argv)
    worst = 0
    for lock in args.locks:
        code, lines = verdict(lock, args.service, *run_pip_audit(lock, args.service, args.timeout))
        for line in lines:
            print(line, file=sys.stderr if code else sys.stdout)
        worst = max(worst, code)
    if worst == NOT_RUN:
        print("make audit FAILED: the dependency audit could not be completed on this machine; run it where "
              "PyPI's JSON API or api.osv.dev is reachable (see docs/security.md).", file=sys.stderr)
    elif worst == VULNERABLE:
        print("make audit FAILED: known vulnerabilities in pinned packages; raise the pins "
              "(make lock UPGRADE=1, or pip-compile -P NAME) and re-run.", file=sys.stderr)
    return worst


if __name__ == "__main__":
    sys.exit(main())
