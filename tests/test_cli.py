import subprocess
import sys

from bridge.cli import main
from bridge.sha2_state import hmac_states


def test_hmac_states(capsys):
    assert main(["hmac-states", "--bits", "256", "4a656665"]) == 0
    inner, outer = hmac_states(b"Jefe", 256)
    assert capsys.readouterr().out.split() == ["inner", inner.hex(), "outer", outer.hex()]


def test_bad_key_is_a_message_not_a_traceback(capsys):
    assert main(["hmac-states", "zz"]) == 2
    assert "hex" in capsys.readouterr().err


def test_absent_commands_say_so():
    r = subprocess.run([sys.executable, "-m", "bridge.cli", "run"], capture_output=True, text=True)
    assert r.returncode == 2 and "not built yet" in r.stderr and "Traceback" not in r.stderr
