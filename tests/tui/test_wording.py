"""One source of words: core's headline and next step, in the CLI and in the TUI alike."""

from __future__ import annotations

from dataclasses import replace

from smimetui.cli.cmd_inspect import report_lines
from smimetui.core.read.report import EncryptionReport, EncryptionStatus, SecurityReport
from smimetui.core.read.wording import next_step, report_headline
from smimetui.tui.verdict import Level, verdict_for

PLAIN = SecurityReport("bob@example.org", "Bob <bob@example.org>", "Hi", "text\n")


def test_cli_and_tui_say_the_same_next_step() -> None:
    locked = replace(
        PLAIN, encryption=EncryptionReport(EncryptionStatus.NO_KEY, "AES-256-GCM", True)
    )
    step = next_step(locked)
    assert step == "Ask the sender to encrypt to your current certificate."
    assert report_lines(locked).count(f"Next step: {step}") == 1
    verdict = verdict_for(locked)
    assert verdict.next_step == step and verdict.level is Level.ENCRYPTED
    assert verdict.headline == report_headline(locked).sentence


def test_nothing_to_do_means_no_next_step_line() -> None:
    assert next_step(PLAIN) == ""
    assert not any(line.startswith("Next step:") for line in report_lines(PLAIN))
    odd = replace(PLAIN, problems=("The message has two From headers.",))
    assert verdict_for(odd).level is Level.WARN and next_step(odd)
