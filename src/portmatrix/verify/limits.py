"""The open-files limit: an emulator holds one descriptor per port, a probe one per check.

The common default of 1,024 descriptors is below what a Unity Connection host's documented
ports need once ranges are sampled, so the limit is raised as far as the system allows before
any socket is opened, and the user is told plainly when even that is not enough.
"""

from __future__ import annotations

import resource

from portmatrix.errors import VerifyError

#: Descriptors kept free for the interpreter, logs and pipes.
HEADROOM = 64


def ensure_open_files(needed: int, *, what: str, advice: str) -> int:
    """Raise the soft (and, if privileged, the hard) limit to ``needed + HEADROOM``.

    Returns the limit now in force; raises :class:`VerifyError` naming ``what`` needs how many
    descriptors and what to do (``advice``) when the system will not allow that many.
    """
    wanted = needed + HEADROOM
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return soft
    ceiling = _raise_hard(wanted, hard)
    target = wanted if ceiling == resource.RLIM_INFINITY else min(wanted, ceiling)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, ceiling))
    except (ValueError, OSError):
        target = soft
    if target < wanted:
        raise VerifyError(
            f"{what} needs {wanted} open files but the limit is {target} "
            f"and cannot be raised further here; {advice}"
        )
    return target


def _raise_hard(wanted: int, hard: int) -> int:
    """The hard limit after trying to lift it to ``wanted`` (only root may)."""
    if hard == resource.RLIM_INFINITY or hard >= wanted:
        return hard
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, wanted))
    except (ValueError, OSError):
        return hard
    return wanted
