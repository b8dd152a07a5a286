"""sim/compiler.py's choice of the models' compiler: the first clang of CLANGS installed with
its own llvm-profdata, else c++; and the profile merger of the version chosen (a clang 19
profile cannot be merged by clang 14's llvm-profdata, nor read back by clang 19)."""
import shutil

import pytest

from sim import compiler as cc


@pytest.fixture
def installed(monkeypatch):
    """Pretend exactly these programs are on PATH (the compilers' --version is not run)."""
    have: set[str] = set()
    monkeypatch.setattr(cc.shutil, "which", lambda name: f"/usr/bin/{name}" if name in have else None)
    monkeypatch.delenv("VCRYPTO_ACCEL_CXX", raising=False)
    monkeypatch.setattr(cc, "_probe", lambda want: want)     # the name compiler() chose
    return have


@pytest.mark.parametrize("programs, chosen", [
    ({"clang++-19", "llvm-profdata-19", "clang++", "llvm-profdata"}, "clang++-19"),
    ({"clang++-19", "clang++", "llvm-profdata"}, "clang++"),          # clang 19 without its merger
    ({"clang++", "llvm-profdata"}, "clang++"),
    ({"clang++-19"}, "c++"),
    (set(), "c++"),
])
def test_the_first_clang_with_its_own_profile_merger_is_chosen(installed, programs, chosen):
    installed.update(programs)
    assert cc.compiler() == chosen


@pytest.mark.parametrize("cxx, profdata", [
    ("clang++-19", "llvm-profdata-19"), ("/usr/bin/clang++-19", "llvm-profdata-19"), ("clang++", "llvm-profdata"),
])
def test_each_compiler_names_the_profile_merger_of_its_version(cxx, profdata):
    assert cc._profdata_for(cxx) == profdata


def test_a_chosen_compiler_merges_profiles_with_its_own_version():
    probed = 0
    for cxx in cc.CLANGS:
        if shutil.which(cxx) is None:
            continue
        probed += 1
        c = cc._probe(cxx)
        assert c.kind == "clang"
        assert c.profdata == {"clang++-19": "llvm-profdata-19", "clang++": "llvm-profdata"}[cxx]
    assert probed, "make setup installs clang-19"
