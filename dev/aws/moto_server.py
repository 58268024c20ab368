"""moto_server, closer to Secrets Manager where the suite's wiring depends on it.

moto 5.2 reads only AutomaticallyAfterDays from RotateSecret's RotationRules: a schedule given as
ScheduleExpression (what `npm run wire` sends: cron()/rate() with a Duration window) leaves
rotation disabled and the rules unreported, so every rotation function would then refuse the
secret. And with RotateImmediately=false it leaves an AWSPENDING copy of the current value behind,
where Secrets Manager only tests the configuration and removes it. This launcher patches those two
behaviours (and reports NextRotationDate for a rate), then runs moto's own server with the same arguments (`-H HOST -p PORT`).
"""

import re
import sys
import time

from moto.secretsmanager import models
from moto.server import main

_rotate_secret = models.SecretsManagerBackend.rotate_secret
_to_dict = models.FakeSecret.to_dict


def _days_of(expression):
    match = re.match(r"^rate\(\s*(\d+)\s+days?\s*\)$", expression or "")
    return int(match.group(1)) if match else None


def _rate_seconds(expression):
    match = re.match(r"^rate\(\s*(\d+)\s+(hour|hours|day|days)\s*\)$", expression or "")
    if not match:
        return None
    return int(match.group(1)) * (3600 if match.group(2).startswith("hour") else 86400)


def rotate_secret(self, secret_id, client_request_token=None, rotation_lambda_arn=None,
                  rotation_rules=None, rotate_immediately=True):
    rules = dict(rotation_rules or {})
    expression = rules.pop("ScheduleExpression", None)
    duration = rules.pop("Duration", None)
    result = _rotate_secret(self, secret_id, client_request_token, rotation_lambda_arn,
                            rules or None, rotate_immediately)
    secret = self.secrets[secret_id]
    if expression:
        secret.rotation_enabled = True
        secret.suite_schedule_expression = expression
        secret.suite_duration = duration
        # Secrets Manager reports AutomaticallyAfterDays computed from a rate in days.
        secret.auto_rotate_after_days = _days_of(expression) or 0
        # Secrets Manager reports when the next window opens; for a rate, one interval on.
        seconds = _rate_seconds(expression)
        if seconds:
            secret.next_rotation_date = int(time.time()) + seconds
    if not rotate_immediately:
        for version_id, version in list(secret.versions.items()):
            stages = version["version_stages"]
            if stages == ["AWSPENDING"]:
                del secret.versions[version_id]
            elif "AWSPENDING" in stages:
                stages.remove("AWSPENDING")
    return result


def to_dict(self):
    dct = _to_dict(self)
    expression = getattr(self, "suite_schedule_expression", None)
    if expression and "RotationRules" in dct:
        rules = {"ScheduleExpression": expression}
        if self.auto_rotate_after_days:
            rules["AutomaticallyAfterDays"] = self.auto_rotate_after_days
        if getattr(self, "suite_duration", None):
            rules["Duration"] = self.suite_duration
        dct["RotationRules"] = rules
    return dct


models.SecretsManagerBackend.rotate_secret = rotate_secret
models.FakeSecret.to_dict = to_dict

if __name__ == "__main__":
    main(sys.argv[1:])
