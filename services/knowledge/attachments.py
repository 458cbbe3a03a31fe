"""Reports and evidence files: PDF or DOCX only, checked by their content, never by their name alone.

A file is refused, with a Problem the edges translate, and nothing stored, when: it is over the size limit or
empty; its name says neither .pdf nor .docx; its content is not what its name says; a PDF is encrypted or
pypdf cannot read it; a DOCX is not a Word document (a zip with word/document.xml), carries macros
(vbaProject.bin, a macro-enabled content type), links to anything outside itself but a hyperlink (a remote
template or a linked object is fetched when the document opens), or would unpack to more than the zip limit.
The text is extracted here (pypdf; the DOCX's XML through defusedxml) for the knowledge search.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass

from defusedxml import ElementTree
from sqlalchemy.orm import Session

from models import Attachment
from services.access import Principal
from services.audit import RequestOrigin, record
from services.records.problems import N_, Problem, Problems, register_messages

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024  # a DOCX that unpacks past this is a zip bomb, not a report
MAX_TEXT_CHARS = 2_000_000
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
KINDS = {".pdf": PDF, ".docx": DOCX}
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"

register_messages({
    "file_too_large": N_("The file is larger than %(max_mb)d MB."),
    "file_empty": N_("The file is empty."),
    "not_pdf_or_docx": N_("Only PDF and Word (.docx) files are accepted."),
    "not_what_name_says": N_("The file's content is not what its name says (%(expected)s)."),
    "pdf_encrypted": N_("The PDF is encrypted or password-protected: attach an unprotected copy."),
    "pdf_unreadable": N_("The PDF cannot be read (damaged or malformed)."),
    "docx_unreadable": N_("The Word document cannot be read (damaged or not a .docx)."),
    "docx_macros": N_("The Word document contains macros: save it as a plain .docx without macros."),
    "docx_external": N_("The Word document links to outside content (a remote template or linked object): "
                        "remove the link and attach it again."),
})


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content_type: str
    data: bytes
    sha256: str
    text: str


def _name(filename: str) -> str:
    """The name as stored and sent back in Content-Disposition: the last path part, printable, at most 200."""
    base = re.split(r"[\\/]", filename or "")[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|*?:').strip() or "file"
    return cleaned[-200:]


def _clean(text: str) -> str:
    return text.replace("\x00", " ")[:MAX_TEXT_CHARS]


def _pdf_text(data: bytes, field: str) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise Problems([Problem(field, "pdf_encrypted")])
        return _clean("\n".join(page.extract_text() or "" for page in reader.pages))
    except Problems:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError,
            OSError, NotImplementedError) as error:  # what a malformed PDF makes pypdf raise
        raise Problems([Problem(field, "pdf_unreadable")]) from error


def _docx_text(data: bytes, field: str) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            names = {i.filename for i in infos}
            if "word/document.xml" not in names or "[Content_Types].xml" not in names:
                raise Problems([Problem(field, "docx_unreadable")])
            if sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES:
                raise Problems([Problem(field, "docx_unreadable")])
            types = archive.read("[Content_Types].xml").decode("utf-8", "replace").lower()
            if any(n.lower().endswith("vbaproject.bin") for n in names) or "macroenabled" in types \
                    or "vbaproject" in types:
                raise Problems([Problem(field, "docx_macros")])
            for name in names:
                if not name.endswith(".rels"):
                    continue
                for rel in ElementTree.fromstring(archive.read(name)):
                    if rel.get("TargetMode", "").lower() == "external" and rel.get("Type") != HYPERLINK:
                        raise Problems([Problem(field, "docx_external")])
            root = ElementTree.fromstring(archive.read("word/document.xml"))
    except Problems:
        raise
    except (zipfile.BadZipFile, ElementTree.ParseError, ValueError, KeyError, OSError, EOFError,
            NotImplementedError) as error:  # defusedxml's refusals (entities, DTDs) are ValueErrors
        raise Problems([Problem(field, "docx_unreadable")]) from error
    paragraphs = ("".join(t.text or "" for t in p.iter(f"{W}t")) for p in root.iter(f"{W}p"))
    return _clean("\n".join(p for p in paragraphs if p))


def check_file(data: bytes, filename: str, *, field: str = "file",
               max_bytes: int = MAX_ATTACHMENT_BYTES) -> CheckedFile:
    """The file checked and its text extracted; Problems (nothing kept) when it is refused."""
    if len(data) > max_bytes:
        raise Problems([Problem(field, "file_too_large", {"max_mb": max_bytes // (1024 * 1024)})])
    if not data:
        raise Problems([Problem(field, "file_empty")])
    name = _name(filename)
    suffix = name[name.rfind("."):].lower() if "." in name else ""
    content_type = KINDS.get(suffix)
    if content_type is None:
        raise Problems([Problem(field, "not_pdf_or_docx")])
    if content_type == PDF:
        if not data.startswith(b"%PDF-"):
            raise Problems([Problem(field, "not_what_name_says", {"expected": "PDF"})])
        text = _pdf_text(data, field)
    else:
        if not data.startswith(b"PK\x03\x04"):
            raise Problems([Problem(field, "not_what_name_says", {"expected": "DOCX"})])
        text = _docx_text(data, field)
    return CheckedFile(filename=name, content_type=content_type, data=data,
                       sha256=hashlib.sha256(data).hexdigest(), text=text)


def store(session: Session, principal: Principal, checked: CheckedFile, *, assessment_id: int | None = None,
          follow_up_id: int | None = None, origin: RequestOrigin | None = None) -> Attachment:
    """Keeps a checked file with its record (the caller checked the right to change that record)."""
    attachment = Attachment(assessment_id=assessment_id, follow_up_id=follow_up_id, filename=checked.filename,
                            content_type=checked.content_type, size_bytes=len(checked.data), sha256=checked.sha256,
                            content=checked.data, extracted_text=checked.text, uploaded_by_user_id=principal.user_id)
    session.add(attachment)
    session.flush()
    record(session, "attachment_added", principal=principal, entity="knowledge_attachment",
           entity_id=attachment.id, detail={"filename": checked.filename, "sha256": checked.sha256,
                                            "size_bytes": len(checked.data), "assessment_id": assessment_id,
                                            "follow_up_id": follow_up_id}, origin=origin)
    return attachment


def add_report(session: Session, principal: Principal, assessment_id: int, checked: CheckedFile, *,
               origin: RequestOrigin | None = None) -> Attachment:
    from models import Assessment
    from services.access import Permission
    from services.knowledge.common import load

    principal.require(Permission.MANAGE_ASSESSMENTS)
    load(session, Assessment, assessment_id, "assessment")
    return store(session, principal, checked, assessment_id=assessment_id, origin=origin)


def remove(session: Session, principal: Principal, attachment_id: int, *,
           origin: RequestOrigin | None = None) -> None:
    from services.access import Permission
    from services.knowledge.common import load

    principal.require(Permission.MANAGE_ASSESSMENTS)
    attachment = load(session, Attachment, attachment_id, "attachment")
    record(session, "attachment_removed", principal=principal, entity="knowledge_attachment",
           entity_id=attachment.id, detail={"filename": attachment.filename, "sha256": attachment.sha256,
                                            "assessment_id": attachment.assessment_id,
                                            "follow_up_id": attachment.follow_up_id}, origin=origin)
    session.delete(attachment)
    session.flush()


@dataclass(frozen=True)
class FileOut:
    filename: str
    content_type: str
    data: bytes


def read(session: Session, principal: Principal, attachment_id: int, *,
         origin: RequestOrigin | None = None) -> FileOut:
    """A file's bytes for a download (reports may name people: VIEW_PERSON_NAMES); the download is audited."""
    from services.access import Permission
    from services.knowledge.common import load

    principal.require(Permission.VIEW_PERSON_NAMES)
    attachment = load(session, Attachment, attachment_id, "attachment")
    record(session, "attachment_downloaded", principal=principal, entity="knowledge_attachment",
           entity_id=attachment.id, detail={"filename": attachment.filename}, origin=origin)
    return FileOut(attachment.filename, attachment.content_type, attachment.content)
