"""native_log: fd 2 captured by one owner under one lock, safe when several threads capture at once."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

import formcheck
from formcheck.errors import InputError
from formcheck.pose.native_log import STDERR_FD, captured_stderr
from formcheck.pose.sources import open_video


def fd2_identity() -> tuple[int, int]:
    info = os.fstat(STDERR_FD)
    return info.st_dev, info.st_ino


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd")) if Path("/proc/self/fd").is_dir() else 0


def run_threads(target, count: int) -> list[BaseException]:
    """Run `target(n)` on `count` threads started together; the exceptions they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def body(n: int) -> None:
        try:
            start.wait()
            target(n)
        except BaseException as exc:  # collected for the assertion in the test
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return errors


def test_captured_stderr_holds_what_native_code_wrote():
    with captured_stderr() as captured:
        os.write(STDERR_FD, b"[mov @ 0x1] moov atom not found\n")
    assert captured.text == "[mov @ 0x1] moov atom not found\n"


def test_threads_capturing_at_once_each_get_their_own_text_and_fd2_comes_back():
    before, fds_before = fd2_identity(), open_fds()
    wrong: list[tuple[str, str]] = []

    def capture_many(n: int) -> None:
        for i in range(200):
            line = f"thread {n} capture {i}\n"
            with captured_stderr() as captured:
                os.write(STDERR_FD, line[:9].encode())
                time.sleep(0.0005 * (i % 3))  # let the other threads try to redirect meanwhile
                os.write(STDERR_FD, line[9:].encode())
            if captured.text != line:
                wrong.append((line, captured.text))

    assert run_threads(capture_many, 4) == []
    assert wrong == []
    assert fd2_identity() == before
    assert open_fds() == fds_before
    os.write(STDERR_FD, b"")  # fd 2 is still open


def test_a_second_thread_waits_until_the_first_capture_ends():
    inside, order = threading.Event(), []

    def first() -> None:
        with captured_stderr():
            inside.set()
            time.sleep(0.2)
            order.append("first ends")

    def second() -> None:
        inside.wait(5)
        with captured_stderr():
            order.append("second starts")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert order == ["first ends", "second starts"]


def test_a_nested_capture_hands_fd2_back_to_the_outer_one():
    before = fd2_identity()
    with captured_stderr() as outer:
        os.write(STDERR_FD, b"outer 1\n")
        with captured_stderr() as inner:
            os.write(STDERR_FD, b"inner\n")
        os.write(STDERR_FD, b"outer 2\n")
    assert (outer.text, inner.text) == ("outer 1\nouter 2\n", "inner\n")
    assert fd2_identity() == before


def test_an_error_inside_the_block_still_restores_fd2():
    before = fd2_identity()
    with pytest.raises(RuntimeError), captured_stderr() as captured:
        os.write(STDERR_FD, b"about to fail\n")
        raise RuntimeError("boom")
    assert captured.text == "about to fail\n"
    assert fd2_identity() == before


def test_real_callers_on_several_threads_keep_their_reasons(tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 100)
    before = fd2_identity()
    messages: list[str] = []

    def open_junk(n: int) -> None:
        for _ in range(20):
            with pytest.raises(InputError) as caught:
                open_video(junk)
            messages.append(str(caught.value))

    assert run_threads(open_junk, 3) == []
    assert len(set(messages)) == 1 and messages[0].startswith(f"{junk}: not a readable video")
    assert fd2_identity() == before


def test_native_log_is_the_only_module_that_redirects_fd2():
    package = Path(formcheck.__file__).resolve().parent
    redirecting = sorted(
        str(p.relative_to(package)) for p in package.rglob("*.py") if "dup2(" in p.read_text(encoding="utf-8")
    )
    assert redirecting == ["pose/native_log.py"]
