import pytest

from cosmotransfer.cli import main


def test_design_command(capsys):
    assert main(["design", "png_eq"]) == 0
    out = capsys.readouterr().out
    assert "1000 points (lh)" in out and "700 train pool / 150 validation / 150 test" in out


@pytest.mark.parametrize("argv, message", [
    (["design", "quijote"], "valid suites"),
    (["simulate", "bsq", "--tier", "nbody"], "valid tiers"),
    (["simulate", "bsq", "--preset", "huge"], "valid presets"),
    (["simulate", "bsq", "--shard", "5/2"], "0 ≤ i < n"),
    (["book", "--scale", "huge"], "valid scales"),
])
def test_bad_input_exits_2_with_one_clear_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and err[0].startswith("cosmotransfer: error:")


def test_book_reruns_one_chapter_with_parameters(tmp_path, capsys):
    assert main(["book", "--only", "10", "--scale", "smoke", "-p", "SEED=0", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "book" / "10_scorecard.ipynb").is_file()
    assert not (tmp_path / "_build").exists()  # the HTML needs every chapter
    assert "not yet executed here" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["book", "--only", "42"], "valid chapters"),
    (["book", "--only", "03", "-p", "SEED"], "NAME=VALUE"),
])
def test_book_bad_selection_is_one_clear_error(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
