"""The short soak (`vcrypto soak`; `make soak` runs the long one): a mixed workload with session
churn on both datapaths, one with the accelerator killed under load, and proof that the
reconciliation catches a lost, duplicated or wrong answer."""
from __future__ import annotations

import pytest

from sim import soak
from bridge.datapath import FailingDatapath, SoftDatapath


def test_soft_soak_balances():
    b = soak.run("soft", requests=20_000, seed=11, progress=None)
    assert b.balanced, soak.report(b, "soft")
    assert b.ok == 20_000 and b.sessions_closed > 100 and b.closed_with_inflight > 0


@pytest.mark.xdist_group("accel")
def test_rtl_soak_balances():
    b = soak.run("rtl", requests=3_000, seed=12, progress=None)
    assert b.balanced, soak.report(b, "rtl")
    assert b.ok == 3_000 and b.closed_with_inflight > 0 and b.segment["allocated_after"] == 0


@pytest.mark.xdist_group("accel")
def test_rtl_soak_with_the_accelerator_killed_under_load_balances():
    b = soak.run("rtl", requests=3_000, seed=13, kill_every=1_000, progress=None)
    assert b.balanced, soak.report(b, "rtl")
    assert b.faults_injected == b.restarts == 2
    assert 0 < b.err_in_fault < 3_000 and b.ok + b.err_in_fault == 3_000


def test_reconciliation_catches_failed_requests():
    b = soak.run(FailingDatapath(SoftDatapath(), every=97), requests=2_000, seed=14, progress=None)
    assert not b.balanced
    assert b.completed == 2_000 and len(b.mismatches) == 2_000 // 97


def test_reconciliation_catches_a_duplicate_completion(monkeypatch):
    """The device publishes one used element twice: the driver sees a head nobody posted."""
    from bridge.virtqueue import DeviceVirtqueue
    push, calls = DeviceVirtqueue.push, [0]

    def push_twice_once(self, head, length):
        calls[0] += 1
        push(self, head, length)
        if calls[0] == 300:
            push(self, head, length)
    monkeypatch.setattr(DeviceVirtqueue, "push", push_twice_once)
    b = soak.run("soft", requests=2_000, seed=15, progress=None)
    assert not b.balanced and b.unknown == 1


def test_device_ignores_a_datapath_answering_twice():
    """Regression: a datapath calling done() twice crashed the device (EOFError in the writer);
    now the second answer is dropped and counted, and every request still completes once."""
    class AnswersTwice(SoftDatapath):
        def submit(self, handle, op, done):
            super().submit(handle, op, done)
            self.done.append(self.done[-1])
    b = soak.run(AnswersTwice(), requests=500, seed=16, progress=None)
    assert b.balanced, soak.report(b, "soft")
