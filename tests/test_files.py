"""Uploads and downloads started by the model's actions, on a real page and server.

The page's file input opens a real file chooser; its Send button posts the chosen file to
the test server, which echoes the bytes back, so the page shows what was really uploaded.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_cua import CuaStepFailed
from pytest_cua.testing import center_of, click, computer_call, turn, type_text, verdict

REPORT_CSV = (Path(__file__).parent / "pages" / "report.csv").read_bytes()


@pytest.fixture
def files_page(page, site):
    page.goto(f"{site}/files.html")
    return page


@pytest.fixture
def notes(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("milk, eggs, bread")
    return path


def _told(server, request_index: int) -> str:
    return "\n".join(server.requests[request_index].texts())


def _upload_turns(page, *middle):
    return [turn(computer_call(click(*center_of(page, "#file")))), *middle,
            turn(computer_call(click(*center_of(page, "#send")))),
            turn(verdict(True, "uploaded"))]


def test_one_offered_file_is_uploaded(cua_fake_server, files_page, cua_agent, notes):
    cua_fake_server.script(*_upload_turns(files_page))
    result = cua_agent("Upload the notes", files=[notes])

    assert files_page.inner_text("#echo") == "server received notes.txt: milk, eggs, bread"
    assert "the offered file notes.txt (17 bytes) was chosen" in _told(cua_fake_server, 1)
    chooser = result.turns[0].actions[0]
    assert chooser.files == ["notes.txt"]
    assert "notes.txt (17 bytes) was chosen" in chooser.description  # in every report
    assert "milk" not in str(result.turns[0].actions)  # names and sizes, never contents


class TestOfferedToEveryStep:
    @pytest.fixture
    def cua_files(self, tmp_path):
        """Two files offered to every step of the test (the fixture users override)."""
        for name, text in (("a.txt", "first file"), ("b.txt", "second file")):
            (tmp_path / name).write_text(text)
        return [tmp_path / "a.txt", tmp_path / "b.txt"]

    def test_several_files_the_model_names_one(self, cua_fake_server, files_page, cua_agent):
        cua_fake_server.script(*_upload_turns(files_page,
                                              turn(computer_call(type_text("b.txt")))))
        result = cua_agent("Upload b.txt")

        assert files_page.inner_text("#echo") == "server received b.txt: second file"
        told = _told(cua_fake_server, 1)
        assert "the files offered are a.txt (10 bytes), b.txt (11 bytes)" in told
        assert "type the file name to choose" in told
        assert "chosen in the file chooser: b.txt (11 bytes)" in _told(cua_fake_server, 2)
        assert result.turns[1].actions[0].files == ["b.txt"]


def test_no_file_offered_closes_the_chooser_and_tells_the_model(cua_fake_server, files_page,
                                                                 cua_agent):
    cua_fake_server.script(turn(computer_call(click(*center_of(files_page, "#file")))),
                           turn(verdict(False, "no file is available to upload")))
    with pytest.raises(CuaStepFailed, match="no file is available"):
        cua_agent("Upload the invoice")
    assert "no file is offered to this step" in _told(cua_fake_server, 1)
    assert files_page.evaluate("document.getElementById('file').files.length") == 0


def test_an_offered_path_must_exist(cua_fake_server, files_page, cua_agent, tmp_path):
    with pytest.raises(ValueError, match=r"missing\.pdf is not a readable file"):
        cua_agent("Upload it", files=[tmp_path / "missing.pdf"])


def test_a_download_is_kept_in_the_test_output_folder(cua_fake_server, files_page, cua_agent,
                                                      output_path):
    cua_fake_server.script(turn(computer_call(click(*center_of(files_page, "#report")))),
                           turn(verdict(True, "downloaded")))
    result = cua_agent("Download the report")

    saved = cua_agent.computer.downloads
    assert [p.name for p in saved] == ["report.csv"]
    assert str(saved[0]).startswith(output_path) and saved[0].read_bytes() == REPORT_CSV
    assert f"downloaded report.csv ({len(REPORT_CSV)} bytes)" in _told(cua_fake_server, 1)
    assert "downloaded report.csv" in result.turns[0].actions[0].description
