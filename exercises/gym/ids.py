"""Identifiers of the gym: organisations, employees, programs, and their live form.

Every record belongs to one organisation. A person's id is their employee id,
stable across passes, unique within their organisation; the live store
(Redis) is shared by every organisation of an installation, so a pass holds
people and pairing history under ids qualified by the organisation
(``acme/E1001``, ``acme/leadership-2027``): two organisations' ``E1001`` are
two people there too.
"""

from __future__ import annotations

import re

__all__ = ["CLASS_ID", "EMPLOYEE_ID", "ORG_ID", "SLUG", "check_class_id", "check_employee_id",
           "check_org_id", "check_slug", "live_id", "split_live_id"]

#: Organisation ids: short lower-case slugs (they appear in links and keys).
ORG_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
#: Employee ids as HR systems write them; no '/', ':' or spaces (they are parts of keys).
EMPLOYEE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: Program ids.
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
#: Class ids, as class files write them.
CLASS_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def check_org_id(value: str) -> str | None:
    """What is wrong with ``value`` as an organisation id, or None."""
    if ORG_ID.fullmatch(value):
        return None
    return f"{value!r} is not an organisation id (1-40 lower-case letters, digits or '-')"


def check_employee_id(value: str) -> str | None:
    if EMPLOYEE_ID.fullmatch(value):
        return None
    return (f"{value!r} is not an employee id (up to 64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit)")


def check_slug(value: str, what: str) -> str | None:
    if SLUG.fullmatch(value):
        return None
    return f"{value!r} is not a {what} id (lower-case letters, digits and '-', up to 63)"


def check_class_id(value: str) -> str | None:
    if CLASS_ID.fullmatch(value):
        return None
    return f"{value!r} is not a class id (letters, digits, '-' or '_', up to 64)"


def live_id(org_id: str, local_id: str) -> str:
    """The id of an organisation's person or program in the live store."""
    return f"{org_id}/{local_id}"


def split_live_id(value: str) -> tuple[str, str] | None:
    """``(org_id, local_id)`` of a qualified live id; None for an unqualified one."""
    org_id, sep, local_id = value.partition("/")
    if not sep or check_org_id(org_id) is not None or not local_id:
        return None
    return org_id, local_id
