"""Reports and evidence: PDF and DOCX checked by content; every refusal names its reason and stores nothing."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import func, select

from models import Attachment
from services.knowledge.attachments import DOCX, PDF, check_file
from services.records.problems import Problems, message
from tests import knowledge_files as files
from tests.knowledge_fixtures import knowledge_fixture  # noqa: F401 - the fixture "knowledge"


def _code(data: bytes, name: str, **kwargs) -> str:
    with pytest.raises(Problems) as caught:
        check_file(data, name, **kwargs)
    (problem,) = caught.value.problems
    assert problem.field == "file"
    assert message(problem)  # a sentence, never a bare code
    return problem.code


def test_a_pdf_is_accepted_with_its_text() -> None:
    checked = check_file(files.pdf("Rapport sur la réforme du secteur de la sécurité"), "rapport.pdf")
    assert checked.content_type == PDF and len(checked.sha256) == 64
    assert "réforme" in checked.text


def test_a_docx_is_accepted_with_its_text_and_a_hyperlink_is_fine() -> None:
    checked = check_file(files.docx("Gap in radio equipment", "Second paragraph"), "C:\\users\\x\\report.docx")
    assert checked.content_type == DOCX and checked.filename == "report.docx"
    assert checked.text == "Gap in radio equipment\nSecond paragraph"
    assert check_file(files.docx("linked", hyperlink=True), "a.docx").text == "linked"


@pytest.mark.parametrize(("maker", "name", "code"), [
    (lambda: files.pdf("x"), "report.docx", "not_what_name_says"),  # a PDF named .docx
    (lambda: files.docx("x"), "report.pdf", "not_what_name_says"),  # a DOCX named .pdf
    (lambda: b"MZ\x90\x00 an executable", "report.pdf", "not_what_name_says"),
    (lambda: files.pdf("x"), "report.exe", "not_pdf_or_docx"),
    (lambda: files.pdf("x"), "report", "not_pdf_or_docx"),
    (lambda: files.encrypted_pdf("secret"), "report.pdf", "pdf_encrypted"),
    (lambda: b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage", "report.pdf", "pdf_unreadable"),
    (lambda: files.docx("x", macros=True), "report.docx", "docx_macros"),
    (lambda: files.docx("x", external=True), "report.docx", "docx_external"),
    (lambda: b"PK\x03\x04 truncated zip", "report.docx", "docx_unreadable"),
    (lambda: b"", "report.pdf", "file_empty"),
])
def test_bad_files_are_refused_with_their_reason(maker, name: str, code: str) -> None:
    assert _code(maker(), name) == code


def test_a_zip_that_is_not_a_word_document_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert _code(out.getvalue(), "report.docx") == "docx_unreadable"


def test_a_docx_with_an_xml_bomb_is_refused() -> None:
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">&lol2;</w:document>')
    good = zipfile.ZipFile(io.BytesIO(files.docx("x")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info in good.infolist():
            archive.writestr(info.filename, bomb if info.filename == "word/document.xml" else good.read(info))
    assert _code(out.getvalue(), "report.docx") == "docx_unreadable"


def test_over_the_limit_is_refused_before_reading() -> None:
    assert _code(files.pdf("x") + b"\0" * 2048, "report.pdf", max_bytes=1024) == "file_too_large"


def test_a_refused_file_stores_nothing(session, knowledge) -> None:
    before = session.scalar(select(func.count()).select_from(Attachment))
    from services.knowledge.attachments import add_report

    with pytest.raises(Problems):
        add_report(session, knowledge.officer, knowledge.tna.id, check_file(files.encrypted_pdf("x"), "r.pdf"))
    assert session.scalar(select(func.count()).select_from(Attachment)) == before
