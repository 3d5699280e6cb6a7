"""Tests for help that teaches (issue 10, point 6): what `micrograd`, `micrograd COMMAND --help` and a
wrong invocation say. Bare `micrograd` lists the commands; `python -m micrograd` is the same command;
every flag's help gives its default and its range; every command's help ends with examples that
parse; `graph` offers only the flags that can change its graph; a misspelled flag, command or choice
names the right one; `--hidden 16,16` works; an integer written as a float gets a hint; every "wrote
FILE" line is on stderr; no message carries a raw "[Errno N]" or a doubled word.

References: the parser itself (build_parser(): its commands, actions, defaults and types) and
TrainConfig's field metadata, so a new flag or command is checked without editing this file.
"""

import argparse
import dataclasses
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from micrograd.cli import EXAMPLES, GRAPH_HINTS, _message, build_parser, main
from micrograd.config import TrainConfig, describe_range, field_default, training_only_keys

COMMANDS = ["train", "graph", "plot", "export", "demo", "check"]


def run(*args, module="micrograd", cwd=None):
    """`python -m MODULE ARGS`; (returncode, stdout, stderr)."""
    p = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, cwd=cwd, timeout=300)
    return p.returncode, p.stdout, p.stderr


def call(capsys, *argv):
    """main(argv) in this process; (status, stdout, stderr)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def wide_help(monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # help lines unwrapped, so a flag's line can be read whole


def flag_actions(parser):
    """(flag, action) for every option a parser offers but -h."""
    return [(a.option_strings[0], a) for a in parser._actions if a.option_strings and a.dest != "help"]


# ---------------------------------------------------------------------- bare micrograd, python -m micrograd


def test_bare_micrograd_lists_every_command_and_how_to_learn_more(tmp_path):
    code, out, err = run(cwd=tmp_path)
    assert code == 0 and err == ""
    parser = build_parser()
    assert list(parser.commands) == COMMANDS
    helps = {a.dest: a.help for a in parser._subparsers._group_actions[0]._choices_actions}
    for name in COMMANDS:
        assert re.search(rf"^\s+{name}\s+{re.escape(helps[name])}$", out, re.M), (name, out)
    assert "micrograd COMMAND --help" in out and "examples:" in out
    assert "arguments are required" not in out


def test_bare_main_returns_0_with_the_help(capsys):
    code, out, err = call(capsys)
    assert code == 0 and err == "" and out == build_parser().format_help()


def test_a_run_flag_without_a_command_says_how_to_list_them(capsys):
    code, out, err = call(capsys, "--quiet")
    assert code == 2 and out == "" and "required: COMMAND (run micrograd --help" in err


@pytest.mark.parametrize(
    "argv", [["--help"], ["train", "--help"], ["trian"], ["train", "--hiden", "8"], ["--version"]], ids=" ".join
)
def test_python_m_micrograd_is_the_micrograd_command(tmp_path, argv):
    theirs = run(*argv, module="micrograd", cwd=tmp_path)
    assert theirs == run(*argv, module="micrograd.cli", cwd=tmp_path)
    script = Path(sys.executable).parent / "micrograd"
    if script.exists():
        p = subprocess.run([str(script), *argv], capture_output=True, text=True, cwd=tmp_path, timeout=300)
        assert (p.returncode, p.stdout, p.stderr) == theirs


def test_python_m_micrograd_trains_the_seed_run(tmp_path):
    assert run("train", "--steps", "3", cwd=tmp_path) == run("train", "--steps", "3", module="micrograd.cli", cwd=tmp_path)


# ---------------------------------------------------------------------- every flag: default and range


@pytest.mark.parametrize("command", COMMANDS)
def test_every_flag_says_its_default_and_range(command):
    sub = build_parser().commands[command]
    text = sub.format_help()
    for flag, action in flag_actions(sub):
        assert action.help, flag
        facts = re.search(r" \(((?:default: |required).*)\)$", action.help)
        assert facts, f"{flag}: no (default ...) at the end of {action.help!r}"
        facts = facts.group(1)
        if action.default not in (None, False):
            assert f"default: {action.default}" in facts, (flag, facts)
        rng = getattr(action.type, "range", "") or getattr(getattr(action, "item", None), "range", "")
        assert rng in facts, (flag, rng, facts)
        assert action.help in text, f"{flag}'s help is not shown whole"


def test_run_flags_show_the_fields_default_and_range():
    sub = build_parser().commands["train"]
    actions = dict(flag_actions(sub))
    for f in dataclasses.fields(TrainConfig):
        if not f.metadata.get("flag", True):
            continue
        help = actions["--" + f.name.replace("_", "-")].help
        default = field_default(TrainConfig, f.name)
        shown = " ".join(map(str, default)) if isinstance(default, list) else "none" if default is None else str(default)
        assert f"default: {shown}" in help, help
        assert describe_range(f.metadata) in help, help
        if f.type is int and not describe_range(f.metadata):
            assert "any integer" in help, help
    assert "(default: 0.1; >= 0)" in actions["--lr"].help and "each >= 1" in actions["--hidden"].help


def test_cli_flags_show_their_ranges():
    p = build_parser().commands
    assert dict(flag_actions(p["demo"]))["--port"].help.endswith("(default: 8000; in [0, 65535])")
    assert dict(flag_actions(p["graph"]))["--max-nodes"].help.endswith("(default: 2000; >= 1)")
    assert dict(flag_actions(p["train"]))["--save-every"].help.endswith("(default: only at the end; >= 1)")
    assert dict(flag_actions(p["graph"]))["--rankdir"].help.endswith("(default: LR)")


# ---------------------------------------------------------------------- examples


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_ends_with_examples_that_parse(command, capsys):
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    lines = out.rstrip("\n").splitlines()
    examples = EXAMPLES[command].splitlines()
    assert 2 <= len(examples) <= 3
    assert lines[-len(examples) - 1 :] == ["examples:", *examples]  # the line breaks kept
    parsed = 0
    for line in examples:  # "micrograd A && micrograd B  # comment": each micrograd command parses
        for cmd in " ".join(shlex.split(line, comments=True)).split(" && "):
            argv = shlex.split(cmd)
            if argv[0] == "micrograd":
                build_parser().parse_args(argv[1:])  # raises SystemExit if an example is wrong
                parsed += 1
    assert parsed >= 1


def test_top_level_examples_parse():
    for line in EXAMPLES[None].splitlines():
        argv = shlex.split(line, comments=True)
        assert argv[0] == "micrograd"
        build_parser().parse_args(argv[1:])


# ---------------------------------------------------------------------- graph offers what changes its graph


def test_graph_does_not_offer_training_flags():
    graph = dict(flag_actions(build_parser().commands["graph"]))
    train = dict(flag_actions(build_parser().commands["train"]))
    hidden = {"--" + k.replace("_", "-") for k in training_only_keys()} | {"--engine"}
    assert hidden == set(GRAPH_HINTS)
    assert not hidden & set(graph)
    model_flags = {f for f in train if train[f].dest in {f.name for f in dataclasses.fields(TrainConfig)}} - hidden
    assert model_flags <= set(graph) and {"--hidden", "--seed", "--dataset", "--init"} <= model_flags
    help = build_parser().commands["graph"].format_help()
    for flag in hidden:
        assert flag not in help


@pytest.mark.parametrize("flag, value", [("--lr", "0.5"), ("--steps", "50"), ("--optimizer", "sgd"), ("--engine", "tensor")])
def test_a_training_flag_given_to_graph_is_refused_with_its_reason(capsys, tmp_path, flag, value):
    out = tmp_path / "g.dot"
    code, stdout, err = call(capsys, "graph", "--x", "1", "2", "--label", "0", "--out", str(out), flag, value)
    assert code == 2 and stdout == "" and not out.exists()
    assert err.startswith(f"micrograd graph: error: unrecognized arguments: {flag} {value}: micrograd graph draws")
    assert err.count("\n") == 1 and ("--checkpoint CKPT" in err or "scalar engine" in err)


# ---------------------------------------------------------------------- misspellings


@pytest.mark.parametrize(
    "argv, says",
    [
        (["train", "--hiden", "8"], "unrecognized arguments: --hiden 8 (did you mean --hidden?)"),
        (["train", "--stesp=5"], "(did you mean --steps?)"),
        (["train", "--weightdecay", "0"], "(did you mean --weight-decay?)"),
        (["train", "--hiden", "8", "--optimzer", "sgd"], "(did you mean --hidden for --hiden, --optimizer for --optimzer?)"),
        (["graph", "--x", "1", "2", "--label", "0", "--out", "g.dot", "--stpes", "3"], "(did you mean --steps?)"),
        (["trian"], "invalid choice: 'trian' (choose from train, graph, plot, export, demo, check; did you mean train?)"),
        (["train", "--optimizer", "adamm"], "did you mean adam?"),
        (["train", "--dataset", "spirals"], "did you mean spiral?"),
        (["graph", "--rankdir", "lr", "--x", "1", "--label", "0", "--out", "g.dot"], "did you mean LR?"),
    ],
)
def test_a_misspelling_names_the_right_one(capsys, argv, says):
    code, out, err = call(capsys, *argv)
    assert code == 2 and out == "" and says in err and err.count("\n") == 1, err


def test_nothing_close_suggests_nothing(capsys):
    code, _, err = call(capsys, "train", "--zzzzzz", "1")
    assert code == 2 and "unrecognized arguments: --zzzzzz 1\n" in err and "did you mean" not in err


# ---------------------------------------------------------------------- --hidden 16,16 and integer hints


@pytest.mark.parametrize("argv", [["16", "16"], ["16,16"], ["16, 16"], ["16,", "16"], [" 16 ,16 "]], ids=repr)
def test_hidden_takes_commas_and_spaces_alike(argv):
    args = build_parser().parse_args(["train", "--hidden", *argv])
    assert args.hidden == [16, 16]
    args = build_parser().parse_args(["graph", "--x", "1", "2", "--label", "0", "--out", "g.dot", "--hidden", *argv])
    assert args.hidden == [16, 16]


@pytest.mark.parametrize(
    "argv, bad",
    [
        (["16,x"], "'x'"),
        (["8", "4,2.5"], "'2.5'"),
        ([","], "at least one SIZE"),
        (["8,,8"], "an empty item in '8,,8'"),  # not [8, 8]: a number is missing
        (["16,"], "an empty item in '16,'"),
        ([",16"], "an empty item in ',16'"),
    ],
)
def test_a_bad_hidden_item_names_itself(capsys, argv, bad):
    code, _, err = call(capsys, "train", "--hidden", *argv)
    assert code == 2 and "argument --hidden: " in err and bad in err and err.count("\n") == 1
    assert "16,x" not in err


def int_flags():
    """(command, flag) for every flag whose values are integers, found from the parser."""
    found = []
    for name, sub in build_parser().commands.items():
        for flag, action in flag_actions(sub):
            parse = getattr(action, "item", None) or action.type
            if getattr(parse, "__qualname__", "").startswith("_int."):  # the converters _int(...) makes
                found.append((name, flag))
    return found


INT_FLAGS = int_flags()


def test_int_flags_found():
    assert {("train", "--steps"), ("train", "--n"), ("train", "--seed"), ("train", "--eval-every"), ("train", "--hidden")} <= set(
        INT_FLAGS
    )
    assert {("train", "--save-every"), ("train", "--plot-every"), ("graph", "--max-nodes"), ("demo", "--port")} <= set(INT_FLAGS)


@pytest.mark.parametrize("command, flag", INT_FLAGS, ids=[" ".join(f) for f in INT_FLAGS])
def test_an_integer_written_as_a_float_gets_a_hint(capsys, command, flag):
    required = {"graph": ["--x", "1", "2", "--label", "0", "--out", "g.dot"]}.get(command, [])
    for text, hint in [("1e3", "(write 1000)"), ("30.0", "(write 30)"), ("2.5", None), ("ten", None)]:
        argv = [command, *required, flag, text] if flag != "--label" else [command, "--x", "1", "--out", "g.dot", flag, text]
        code, out, err = call(capsys, *argv)
        assert code == 2 and out == "", err
        assert f"argument {flag}: expected an integer, got '{text}'" in err, err
        assert (hint in err) if hint else "(write" not in err, err


# ---------------------------------------------------------------------- output streams


def test_wrote_lines_go_to_stderr(capsys, tmp_path):
    torch = pytest.importorskip("torch")
    dot = tmp_path / "g.dot"
    code, out, err = call(capsys, "graph", "--x", "0.5", "-1", "--label", "1", "--out", str(dot))
    assert code == 0 and out == "" and err.startswith(f"wrote {dot}")
    ckpt = tmp_path / "c.json"
    code, out, err = call(capsys, "train", "--steps", "3", "--save", str(ckpt), "--no-progress")
    assert code == 0 and "wrote" not in out and ckpt.exists()
    code, out, err = call(capsys, "plot", str(ckpt), "--out", str(tmp_path / "pics"))
    assert code == 0 and out == "" and f"wrote {tmp_path / 'pics' / 'loss.png'}" in err
    code, out, err = call(capsys, "export", str(ckpt), "--to", str(tmp_path / "m.pt"))
    assert code == 0 and out == "" and err.startswith(f"wrote {tmp_path / 'm.pt'}")
    assert set(torch.load(tmp_path / "m.pt", weights_only=True))


# ---------------------------------------------------------------------- error messages: paths, no errno, no doubled words


def bad_invocations(tmp_path):
    """Wrong invocations a newcomer makes: a missing file, an unwritable place, a typo, a bad value."""
    ckpt = tmp_path / "missing.json"
    return [
        ["train", "--data", "missing.csv"],
        ["train", "--data", str(tmp_path)],
        ["plot", str(ckpt), "--out", str(tmp_path / "d")],
        ["export", str(ckpt), "--to", str(tmp_path / "m.pt")],
        ["export", str(ckpt), "--to", "/proc/x.pt"],
        ["train", "--save", "/nonexistent/dir/c.json"],
        ["train", "--save", "/proc/c.json"],
        ["train", "--log", "/"],
        ["train", "--log", "/proc/x.jsonl"],
        ["train", "--plot", "/proc/x/y"],
        ["train", "--resume", str(ckpt)],
        ["train", "--resume", str(tmp_path)],
        ["graph", "--x", "1", "2", "--label", "0", "--out", "/proc/g.dot"],
        ["graph", "--x", "1", "2", "--label", "0", "--out", "/nonexistent/g.dot"],
        ["graph", "--x", "1", "2", "--label", "0", "--out", str(tmp_path / "g.dot"), "--checkpoint", str(ckpt)],
        ["train", "--steps", "1e3"],
        ["train", "--hiden", "8"],
        ["train", "--hidden", "8,x"],
        ["trian"],
        ["train", "--optimizer", "adamm"],
        ["train", "--momentum", "0.9"],
        ["train", "--save-every", "5"],
        ["train", "--plot-every", "5"],
        ["train", "--n", "5"],
        ["demo", "--port", "70000"],
        ["graph", "--x", "1", "2", "--label", "0", "--out", "g.txt"],
        ["graph", "--x", "1", "2", "--label", "0", "--out", "g.dot", "--lr", "0.1"],
        ["--quiet"],
    ]


DOUBLED = re.compile(r"\b([A-Za-z]+)\s+\1\b", re.IGNORECASE)  # "error error", "the the", "file file"


def test_no_errno_and_no_doubled_words_in_any_error(capsys, tmp_path, monkeypatch):
    assert DOUBLED.search("error Error: x") and DOUBLED.search("the the file") and not DOUBLED.search("seed-adam, adam")
    monkeypatch.chdir(tmp_path)
    for argv in bad_invocations(tmp_path):
        code, out, err = call(capsys, *argv)
        assert code == 2 and out == "", (argv, out, err)
        lines = err.splitlines()
        assert len(lines) == 1, (argv, err)
        for line in lines:
            assert "[Errno" not in line and "Traceback" not in line, (argv, line)
            message = line.split(": error: ", 1)[1]
            assert "error:" not in message, (argv, line)
            assert not DOUBLED.search(message), (argv, line, DOUBLED.search(message).group(0))


@pytest.mark.parametrize(
    "argv, says",
    [
        (["train", "--data", "missing.csv"], "missing.csv"),
        (["plot", "missing.json", "--out", "d"], "'missing.json'"),
        (["train", "--save", "/nonexistent/dir/c.json"], "'/nonexistent/dir/c.json'"),
        (["export", "x.json", "--to", "/proc/x.pt"], "'/proc/x.pt'"),
        (["train", "--log", "/"], "'/'"),
        (["train", "--log", "/proc/x.jsonl"], "cannot write '/proc/x.jsonl': No such file or directory"),
        (["train", "--plot", "/proc/x/y"], "cannot write '/proc/x' (--plot /proc/x/y): No such file or directory"),
    ],
)
def test_a_file_error_names_the_users_path(capsys, tmp_path, monkeypatch, argv, says):
    monkeypatch.chdir(tmp_path)
    code, _, err = call(capsys, *argv)
    assert code == 2 and says in err and "[Errno" not in err, err


def ns(**given):
    return argparse.Namespace(**{k: None for k in ("data", "resume", "checkpoint", "save", "plot", "log", "out", "to")} | given)


def test_message_of_an_oserror():
    missing = FileNotFoundError(2, "No such file or directory", "x.csv")
    assert str(missing) == "[Errno 2] No such file or directory: 'x.csv'"  # what the user used to see
    assert _message(missing, ns(data="x.csv")) == "cannot read 'x.csv': No such file or directory"
    assert _message(PermissionError(13, "Permission denied", "o/c.json"), ns(save="o/c.json")) == (
        "cannot write 'o/c.json': Permission denied"
    )
    assert _message(PermissionError(13, "Permission denied", "o"), ns(plot="o/p")) == (
        "cannot write 'o' (--plot o/p): Permission denied"
    )
    assert _message(OSError(5, "Input/output error"), ns(data="d.csv")) == "Input/output error (with --data d.csv)"
    assert _message(OSError(2, "cannot save to 'a': it is gone"), ns(save="a")) == "cannot save to 'a': it is gone"
    assert _message(OSError(2, "No such file or directory", "elsewhere"), ns()) == (
        "cannot use 'elsewhere': No such file or directory"
    )
    assert _message(ValueError("lr must be >= 0, got -1.0"), ns()) == "lr must be >= 0, got -1.0"
