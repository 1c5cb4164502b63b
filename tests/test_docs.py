"""Docs that run: every shell and Python snippet of README.md and docs/*.md is executed.

Each fenced block needs a language. ``python`` blocks run in order, in one namespace per
document (``>>>`` blocks as doctests); a top-level expression followed by a comment that is a
Python literal (``str(p)   # '{ $.a = 1 }'``) must evaluate to that literal, and a block that
defines ``test_`` functions is also run by pytest as a test file. ``sh`` blocks run one command
at a time with ``sh``: each must exit 0, or the status its comment starts with (``# exit 1:
...``); a command whose comment says ``until Ctrl-C`` runs in the background, must still be
running when the block's other commands are done and it has printed something (or 5 s have
passed), and must stop with status 0 on SIGINT. ``text``, ``yaml`` and ``json`` blocks are not
run.

Snippets run in an empty folder that holds only ``examples/`` (a link to the repository's), with
``HOME`` there too and no AWS settings: a snippet that needs credentials, a Region or a file
must say so itself. The few things a document's snippets may take for granted are made by that
document's fixture below (``SETUPS``), in the open. Two marks, HTML comments on the line before a
fence, change how a block runs:

* ``<!-- not-run: reason -->``: the block is not run; the reason is required.
* ``<!-- aws-account -->``: the block talks to the reader's AWS account; here it gets throwaway
  credentials, a Region and ``AWS_ENDPOINT_URL`` pointing at the exact emulator (a server in this
  process), which the document's fixture fills.

The one change made to snippets: each port a document names with ``--port N`` becomes a free
port wherever N appears in its shell commands, so parallel runs do not collide.
"""

from __future__ import annotations

import ast
import doctest
import io
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import tokenize
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, redirect_stdout
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PYTHON = {"python", "py", "pycon"}
SHELL = {"sh", "bash", "shell", "console"}
NOT_CODE = {"text", "yaml", "json"}
MARKS = {"not-run", "aws-account"}
REGION = "us-east-1"

_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)\s*$")
_MARK = re.compile(r"^<!--\s*([a-z-]+)\s*(?::\s*(.*?))?\s*-->$")


@dataclass(frozen=True)
class Block:
    """A fenced block: where it starts (the fence's line), its language, text and marks."""

    document: str
    line: int
    language: str
    text: str
    marks: dict[str, str]

    @property
    def where(self) -> str:
        return f"{self.document}:{self.line}"


def read_blocks(path: Path) -> list[Block]:
    """The fenced blocks of a Markdown file, with the marks written just above each.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     page = Path(folder) / "page.md"
    ...     _ = page.write_text("<!-- not-run: why -->\\n```sh\\nls\\n```\\n")
    ...     read_blocks(page)[0].marks
    {'not-run': 'why'}
    """
    name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    marks: dict[str, str] = {}
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if fence is None:
            mark = _MARK.match(lines[index].strip())
            if mark is not None:
                marks[mark.group(1)] = mark.group(2) or ""
            elif lines[index].strip():
                marks = {}
            index += 1
            continue
        indent, ticks, language = fence.groups()
        body: list[str] = []
        index += 1
        while index < len(lines) and not lines[index].strip().startswith(ticks):
            body.append(
                lines[index][len(indent) :] if lines[index].startswith(indent) else lines[index]
            )
            index += 1
        opening = index - len(body)
        found.append(Block(name, opening, language, "\n".join(body) + "\n", marks))
        marks = {}
        index += 1
    return found


ALL_BLOCKS = [block for path in DOCUMENTS for block in read_blocks(path)]


def test_the_documents_are_found() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in DOCUMENTS}
    assert {"README.md", "docs/semantics.md", "docs/emulator.md", "docs/aws.md"} <= names
    assert len([b for b in ALL_BLOCKS if b.language in PYTHON | SHELL]) >= 20


def test_every_fence_names_a_known_language() -> None:
    unknown = [b.where for b in ALL_BLOCKS if b.language not in PYTHON | SHELL | NOT_CODE]
    assert unknown == [], f"give these fences a language ({sorted(PYTHON | SHELL | NOT_CODE)})"


def test_marks_are_known_and_not_run_has_a_reason() -> None:
    for block in ALL_BLOCKS:
        assert set(block.marks) <= MARKS, (block.where, block.marks)
        if "not-run" in block.marks:
            assert block.marks["not-run"].strip(), f"{block.where}: not-run needs a reason"


def test_not_run_marks_are_rare() -> None:
    code = [b for b in ALL_BLOCKS if b.language in PYTHON | SHELL]
    assert sum("not-run" in b.marks for b in code) <= 7, [
        b.where for b in code if "not-run" in b.marks
    ]


def test_no_snippet_installs_the_unpublished_package() -> None:
    """cwquery is not on PyPI: every install names a clone (``.``) or the repository."""
    for block in ALL_BLOCKS:
        for line in block.text.splitlines():
            by_name = re.search(r"pip install\s.*\bcwquery\b", line) and "git+" not in line
            assert not by_name, f"{block.where}: {line}"


def test_no_prose_installs_the_unpublished_package() -> None:
    """Nor does the text around the snippets: ``pip install 'cwquery[cdk]'`` cannot work yet."""
    for path in DOCUMENTS:
        text = " ".join(path.read_text(encoding="utf-8").split())
        for found in re.finditer(r"pip install '?\"?cwquery\b[^`]*", text):
            warned = "does not work" in text[found.end() : found.end() + 20]
            assert "git+" in found.group() or warned, f"{path.name}: {found.group()}"
        assert not re.search(r"--additional-python-modules '?cwquery", text), path.name


def test_pre_commit_example_names_real_hooks_and_no_missing_tag() -> None:
    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    known = {hook["id"] for hook in hooks}
    tags = subprocess.run(
        ["git", "-C", str(ROOT), "tag", "--list"], capture_output=True, text=True, check=True
    ).stdout.split()
    configs = [b for b in ALL_BLOCKS if b.language == "yaml" and "repos:" in b.text]
    assert configs
    for block in configs:
        for repo in yaml.safe_load(block.text)["repos"]:
            rev = str(repo["rev"])
            assert rev in tags or (rev.startswith("<") and rev.endswith(">")), block.where
            assert {hook["id"] for hook in repo["hooks"]} <= known, block.where


# --------------------------------------------------------------------------- environments


@dataclass
class DocEnv:
    """Where a document's snippets run."""

    folder: Path
    env: dict[str, str]
    aws_env: dict[str, str] = field(default_factory=dict)
    namespace: dict[str, Any] = field(default_factory=dict)
    ports: dict[str, str] = field(default_factory=dict)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _base(tmp_path: Path) -> DocEnv:
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "examples").symlink_to(ROOT / "examples")
    home = tmp_path / "home"
    home.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "BOTO", "XDG_", "CWQUERY_", "LOG_", "PYTEST_"))
    }
    env.update(
        PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
        HOME=str(home),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_CONFIG_HOME=str(home / ".config"),
        AWS_EC2_METADATA_DISABLED="true",  # no slow metadata lookups when credentials are missing
    )
    return DocEnv(folder, env)


def _put(client: Any, group: str, stream: str, messages: list[str]) -> None:
    client.create_log_group(logGroupName=group)
    client.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000) - len(messages)
    events = [{"timestamp": now + n, "message": m} for n, m in enumerate(messages)]
    client.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


@contextmanager
def _aws_account(doc: DocEnv, groups: dict[str, list[str]]) -> Iterator[None]:
    """The exact emulator as a server in this process, holding ``groups``, for blocks marked
    ``aws-account``."""
    import boto3

    from cwquery.emulator import EmulatorServer

    with EmulatorServer(port=0) as server:
        # moto keeps its accounts per process: start from an empty one, whatever ran before
        reset = urllib.request.Request(f"{server.endpoint_url}/moto-api/reset", method="POST")
        urllib.request.urlopen(reset, timeout=30).close()
        client = boto3.client(
            "logs",
            region_name=REGION,
            endpoint_url=server.endpoint_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        for group, messages in groups.items():
            _put(client, group, "s1", messages)
        doc.aws_env = {
            "AWS_ENDPOINT_URL": server.endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }
        yield


def _app_messages() -> list[str]:
    return (ROOT / "examples" / "logs" / "app.jsonl").read_text(encoding="utf-8").splitlines()


def _json_logs(doc: DocEnv) -> None:
    """JSON-lines application logs of today in ``logs/``."""
    (doc.folder / "logs").mkdir()
    stamp = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    lines = [
        f'{{"@timestamp": "{stamp}", "level": "INFO", "msg": "started {n}"}}' for n in range(3)
    ]
    (doc.folder / "logs" / "web.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


@contextmanager
def readme(doc: DocEnv) -> Iterator[None]:
    """The README's user has infrastructure code in ``infra/``, JSON-lines logs in ``logs/``,
    and log groups ``/app`` and ``/worker`` in their AWS account."""
    shutil.copytree(ROOT / "examples" / "infra" / "good", doc.folder / "infra")
    _json_logs(doc)
    with _aws_account(doc, {"/app": _app_messages(), "/worker": ["INFO idle"]}):
        yield


@contextmanager
def ci(doc: DocEnv) -> Iterator[None]:
    """docs/ci.md's reader has a repository of infrastructure code: ``infra/``, ``cdk.out/`` and
    ``serverless.yml`` (the good samples)."""
    good = ROOT / "examples" / "infra" / "good"
    shutil.copytree(good, doc.folder / "infra")
    shutil.copytree(good / "cdk.out", doc.folder / "cdk.out")
    shutil.copy(good / "serverless.yml", doc.folder / "serverless.yml")
    yield


@contextmanager
def aws(doc: DocEnv) -> Iterator[None]:
    """docs/aws.md's reader has JSON-lines logs in ``logs/`` and an account with the groups its
    snippets name: ``/app`` and ``/worker`` for its commands, ``/myapp/prod`` and
    ``/myapp/worker`` in the Region of its Python (eu-west-1). Here that account is the exact
    emulator as a server in this process, which the Python reaches through ``AWS_ENDPOINT_URL``
    as the commands do."""
    import boto3

    from cwquery.aws import LogHandler

    _json_logs(doc)
    with _aws_account(doc, {"/app": _app_messages(), "/worker": ["INFO idle"]}):
        client = boto3.client(
            "logs",
            region_name="eu-west-1",
            endpoint_url=doc.aws_env["AWS_ENDPOINT_URL"],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        _put(client, "/myapp/prod", "web-1", _app_messages())
        _put(client, "/myapp/worker", "web-2", ['{"level": "ERROR", "latency": 1500}'])
        saved = {key: os.environ.get(key) for key in doc.aws_env}
        os.environ.update(doc.aws_env)
        try:
            yield
        finally:
            root = logging.getLogger()
            for handler in [h for h in root.handlers if isinstance(h, LogHandler)]:
                root.removeHandler(handler)  # the snippet's, closed but still on the root logger
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


SETUPS: dict[str, Callable[[DocEnv], AbstractContextManager[None]]] = {
    "README.md": readme,
    "docs/ci.md": ci,
    "docs/aws.md": aws,
}


# --------------------------------------------------------------------------- running


def _claimed(comment: str) -> tuple[bool, Any]:
    """The literal a comment claims as the value of the expression before it, if any."""
    text = comment.lstrip("#").strip()
    for candidate in (text, text.split("  ")[0]):
        try:
            return True, ast.literal_eval(candidate)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
    return False, None


def run_python(block: Block, doc: DocEnv) -> None:
    namespace = doc.namespace
    if block.text.lstrip().startswith(">>>"):
        test = doctest.DocTestParser().get_doctest(
            block.text, namespace, block.where, block.document, block.line
        )
        out = io.StringIO()
        runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
        runner.run(test, out=out.write, clear_globs=False)
        assert runner.failures == 0, out.getvalue()
        return
    tree = ast.parse(block.text, filename=block.document)
    comments = {
        token.start[0]: token.string
        for token in tokenize.generate_tokens(io.StringIO(block.text).readline)
        if token.type == tokenize.COMMENT
    }
    ast.increment_lineno(tree, block.line)
    for statement in tree.body:
        end = (statement.end_lineno or statement.lineno) - block.line
        claims, claimed = _claimed(comments.get(end, ""))
        if isinstance(statement, ast.Expr) and claims:
            code = compile(ast.Expression(statement.value), block.document, "eval")
            value = eval(code, namespace)
            assert value == claimed, f"{block.document}:{statement.lineno}: {value!r}"
        else:
            module = ast.Module(body=[statement], type_ignores=[])
            exec(compile(module, block.document, "exec"), namespace)
    if any(isinstance(s, ast.FunctionDef) and s.name.startswith("test_") for s in tree.body):
        _run_as_test_file(block, doc)


def _run_as_test_file(block: Block, doc: DocEnv) -> None:
    """A block that defines tests is a test file: pytest runs it, outside this repository."""
    path = doc.folder / f"test_snippet_{block.line}.py"
    path.write_text(block.text, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", path.name],
        cwd=doc.folder,
        env=doc.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{block.where}\n{done.stdout}{done.stderr}"
    assert " passed" in done.stdout, done.stdout


def _split_comment(line: str) -> tuple[str, str]:
    """A shell line without its trailing comment, and the comment."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index].rstrip(), line[index:]
    return line.rstrip(), ""


def shell_commands(text: str) -> list[tuple[str, str]]:
    """(command, comment) for each command of a shell block; continuation lines are joined.

    >>> shell_commands("a 'x # y' \\\\\\n  b   # exit 1: no\\n# note\\n\\nc\\n")
    [("a 'x # y' b", '# exit 1: no'), ('c', '')]
    """
    commands: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        command, comment = _split_comment(line)
        if not command and not pending:
            continue
        if command.endswith("\\"):
            pending += command[:-1].strip() + " "
            continue
        commands.append(((pending + command.strip()).strip(), comment))
        pending = ""
    return commands


def _wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "the background command ended early"
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing listens on port {port} after {seconds} s")


def _wait_for_output(log: Path, process: subprocess.Popen[bytes], seconds: float = 5) -> None:
    """Give a background command ``seconds`` to print its first output (a poll, a summary)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None and not log.stat().st_size:
        time.sleep(0.2)


def run_shell(block: Block, doc: DocEnv) -> None:
    env = {**doc.env, **(doc.aws_env if "aws-account" in block.marks else {})}
    background: list[tuple[str, subprocess.Popen[bytes], Path]] = []
    try:
        for number, (command, comment) in enumerate(shell_commands(block.text)):
            for written, used in doc.ports.items():
                command = command.replace(written, used)
            where = f"{block.where}: {command}"
            if "until Ctrl-C" in comment:
                log = doc.folder.parent / f"background-{block.line}-{number}.log"
                with log.open("wb") as output:
                    process = subprocess.Popen(
                        ["sh", "-c", "exec " + command],
                        cwd=doc.folder,
                        env=env,
                        stdout=output,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                background.append((where, process, log))
                port = re.search(r"--port (\d+)", command)
                if port:
                    _wait_for_port(int(port.group(1)), process)
                continue
            wanted = re.match(r"#\s*exit (\d+)(?::|$)", comment)
            done = subprocess.run(
                ["sh", "-c", command],
                cwd=doc.folder,
                env=env,
                capture_output=True,
                text=True,
                timeout=180,
                check=False,
            )
            status = int(wanted.group(1)) if wanted else 0
            assert done.returncode == status, f"{where}\n{done.stdout}{done.stderr}"
        for where, process, log in background:
            _wait_for_output(log, process)
            assert process.poll() is None, f"{where} stopped early:\n{log.read_text()}"
            os.killpg(process.pid, signal.SIGINT)
            assert process.wait(timeout=60) == 0, f"{where} after Ctrl-C:\n{log.read_text()}"
    finally:
        for _, process, _ in background:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


# The playground stops on Ctrl-C by polling an Event with a timeout (a timed wait).
TIMED_WAITS = {"docs/playground.md"}


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(name, marks=[pytest.mark.timed_wait] if name in TIMED_WAITS else [])
        for name in (p.relative_to(ROOT).as_posix() for p in DOCUMENTS)
    ],
)
def test_snippets_run(document: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = [b for b in ALL_BLOCKS if b.document == document]
    doc = _base(tmp_path)
    for block in blocks:
        for port in re.findall(r"--port (\d{2,5})\b", block.text):
            doc.ports.setdefault(port, str(_free_port()))
    monkeypatch.chdir(doc.folder)
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    with ExitStack() as stack:
        if document in SETUPS:
            stack.enter_context(SETUPS[document](doc))
        for block in blocks:
            if "not-run" in block.marks:
                continue
            if block.language in PYTHON:
                with redirect_stdout(io.StringIO()):
                    run_python(block, doc)
            elif block.language in SHELL:
                run_shell(block, doc)
