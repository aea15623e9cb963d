"""Bad input where a user touches hancot: every bad ``hancot demo`` option is a one-line error
with exit status 2, never a traceback, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from hancot.cli.main import main

BAD = [
    (["--days", "0"], "must be greater than 0"),
    (["--days", "abc"], "is not a whole number"),
    (["--days", "3"], "at least 4 days"),
    (["--days", "100000"], "at most 400"),
    (["--seed", "x"], "invalid int value"),
    (["--poll-interval", "-5"], "must be greater than 0"),
    (["--poll-interval", "0"], "must be greater than 0"),
    (["--poll-interval", "1.5"], "is not a whole number"),
    (["--policy", "wipe-everything"], "invalid choice"),
    (["--ihd", "rogue"], "invalid choice"),
    (["--ppmid", ""], "invalid choice"),
    (["--frame-log", "{tmp}/no/such/dir/log.txt"], "cannot write"),
]


@pytest.mark.parametrize(("args", "message"), BAD)
def test_bad_demo_options_are_one_error_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    with pytest.raises(SystemExit) as exit_:
        code = main(["demo", *args])
        raise SystemExit(code)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    # The error itself is one line (argparse adds its usage above it).
    assert err.strip().splitlines()[-1].startswith(("hancot: error:", "hancot demo: error:"))
    assert list(tmp_path.iterdir()) == []
