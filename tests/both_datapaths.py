"""The body of a test module's `datapath` fixture parametrised with "soft" and "rtl": the same
test on both datapaths, the rtl one being the module's accelerator process (conftest's
`rtl_dp`), which each test leaves with no session and nothing in flight."""
from __future__ import annotations

from bridge.datapath import SoftDatapath


def soft_or_rtl(request):
    """Use as `yield from soft_or_rtl(request)` in a fixture with params ("soft", "rtl")."""
    if request.param == "soft":
        yield SoftDatapath()
        return
    dp = request.getfixturevalue("rtl_dp")
    yield dp
    for s in list(dp.sessions):
        dp.destroy_session(s)
    while dp.inflight():
        dp.poll(0.02)
