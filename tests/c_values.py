"""Values of C expressions as gcc sees them through the generated headers in firmware/include/
(tests/test_abi.py, tests/test_csr_rdl.py): the C side of the register and ABI maps is checked
by compiling it, not by reading it."""
import subprocess
from pathlib import Path

INCLUDE = Path(__file__).resolve().parents[1] / "firmware" / "include"


def c_values(tmp_path: Path, includes: list[str], exprs: list[str]) -> list[int]:
    """Each expression printed as unsigned by a program that includes <stdio.h> and `includes`
    (e.g. '"vcrypto_abi.h"'), built with -Wall -Werror."""
    src = tmp_path / "t.c"
    src.write_text("#include <stdio.h>\n" + "".join(f"#include {h}\n" for h in includes) + "int main(void){\n"
                   + "".join(f'printf("%u\\n", (unsigned)({e}));\n' for e in exprs) + "return 0;}\n")
    exe = tmp_path / "t"
    subprocess.run(["gcc", "-Wall", "-Werror", "-I", str(INCLUDE), str(src), "-o", str(exe)], check=True)
    return [int(x) for x in subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.split()]
