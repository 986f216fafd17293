"""Proving the matrix on the wire: stand-in listeners, probes, and a lab of namespaces.

``emulate`` opens a host's documented ports before the product exists; ``probe`` checks from
one host that every flow the matrix allows is open and every other documented port is stopped;
``lab`` runs both for a whole deployment inside network namespaces. See ``docs/verify.md``.
"""

from portmatrix.verify.emulate import (
    Emulator,
    StartReport,
    emulator_for,
    serve_until_stopped,
    token,
)
from portmatrix.verify.fake import FakeBackend
from portmatrix.verify.lab import Lab, run_lab
from portmatrix.verify.pacing import DestinationPacer
from portmatrix.verify.plan import (
    DEFAULT_SAMPLE,
    ListenPort,
    Planner,
    Sampling,
    probe_addresses,
    sample_range,
)
from portmatrix.verify.probe import Backend, Expected, Observed, Probe, Result, run_probes
from portmatrix.verify.report import results_json, results_junit, results_table, summary_table
from portmatrix.verify.runner import LAB_OPTIONS, ProbeOptions, probe_from
from portmatrix.verify.sockets import SocketBackend
from portmatrix.verify.timing import RoundTrips

__all__ = [
    "DEFAULT_SAMPLE",
    "LAB_OPTIONS",
    "Backend",
    "DestinationPacer",
    "Emulator",
    "Expected",
    "FakeBackend",
    "Lab",
    "ListenPort",
    "Observed",
    "Planner",
    "Probe",
    "ProbeOptions",
    "Result",
    "RoundTrips",
    "Sampling",
    "SocketBackend",
    "StartReport",
    "emulator_for",
    "probe_addresses",
    "probe_from",
    "results_json",
    "results_junit",
    "results_table",
    "run_lab",
    "run_probes",
    "sample_range",
    "serve_until_stopped",
    "summary_table",
    "token",
]
