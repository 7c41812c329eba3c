"""Files staff open: uploads, generated document drafts, and the template a filing's draft uses."""

from __future__ import annotations

from django.db.models import Exists, Max, OuterRef, QuerySet
from django.utils import timezone

from casework.exceptions import NotFoundError
from casework.models import (
    Attachment,
    Case,
    DocumentShare,
    DocumentTemplate,
    Filing,
    GeneratedDocument,
)
from casework.roles import AnyUser
from casework.selectors.cases import case_visibility_q, cases_visible_to


def attachment_get_for_user(*, user: AnyUser, public_id: str) -> Attachment:
    """The attachment if its case is visible to this user; otherwise NotFoundError."""
    attachment = (
        Attachment.objects.filter(public_id=public_id, case__in=cases_visible_to(user).values("pk"))
        .select_related("case")
        .first()
    )
    if attachment is None:
        raise NotFoundError("No such file.")
    return attachment


def filing_attachments(filing: Filing) -> QuerySet[Attachment]:
    """The scans kept on a filing (its receipt, delivery notice, answer), oldest first. The
    caller has shown the filing to a user who may see it (its page's view is audited)."""
    return filing.attachments.select_related("uploaded_by").order_by("created_at", "pk")


def case_attachments(case: Case) -> QuerySet[Attachment]:
    """Every file of a case, the family's and the staff's, oldest first, with their filing."""
    return case.attachments.select_related("filing", "uploaded_by").order_by("created_at", "pk")


def document_get_for_user(*, user: AnyUser, pk: int | str) -> GeneratedDocument:
    """The generated document if its filing's case is visible to this user; else NotFoundError."""
    document = (
        GeneratedDocument.objects.filter(case_visibility_q(user, "filing__case"), pk=pk)
        .select_related("filing__case")
        .first()
    )
    if document is None:
        raise NotFoundError("No such document.")
    return document


def templates_current(jurisdiction: str) -> list[DocumentTemplate]:
    """The newest version of each template code of a jurisdiction, retired codes left out."""
    newest = (
        DocumentTemplate.objects.filter(jurisdiction=jurisdiction)
        .values("code")
        .annotate(newest=Max("version"))
    )
    wanted = {(row["code"], row["newest"]) for row in newest}
    rows = DocumentTemplate.objects.filter(jurisdiction=jurisdiction, is_active=True)
    return [row for row in rows.order_by("code") if (row.code, row.version) in wanted]


def template_for(filing: Filing) -> DocumentTemplate | None:
    """The template for this filing's kind, office and signer: one naming the office's kind wins
    over one for any office. Lists are filtered here, not in SQL: SQLite (the embedded default)
    cannot search inside JSON lists, and there are a few dozen templates at most."""
    office = filing.office
    fitting = [
        template
        for template in templates_current(office.jurisdiction)
        if filing.kind in template.filing_kinds
        and (not template.signers or filing.signer in template.signers)
    ]
    for template in fitting:
        if office.kind in template.office_kinds:
            return template
    return next((template for template in fitting if not template.office_kinds), None)


def template_is_newest(template: DocumentTemplate) -> bool:
    """Only the newest version of a code may be edited (an older one would undo newer text)."""
    return not DocumentTemplate.objects.filter(
        code=template.code, version__gt=template.version
    ).exists()


def template_code_taken(code: str) -> bool:
    return DocumentTemplate.objects.filter(code=code).exists()


def templates_with_use(templates: QuerySet[DocumentTemplate]) -> QuerySet[DocumentTemplate]:
    """`templates` annotated with `used`: some draft was made from the version."""
    return templates.annotate(
        used=Exists(GeneratedDocument.objects.filter(template=OuterRef("pk")))
    )


def document_shares_offered(*, case: Case) -> QuerySet[DocumentShare]:
    """What the family's status page offers to download: shares of ready drafts of this case,
    neither withdrawn nor past their date (checked at each read, not by a sweep)."""
    return (
        # Through the draft's filing: a merge moves the filings, and the shares with them.
        DocumentShare.objects.filter(
            document__filing__case=case, withdrawn_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("document__filing", "document__template")
        .defer("pdf", "document__content")
        .order_by("-shared_at", "-pk")
    )


def document_share_for_family(*, case: Case, public_id: str) -> DocumentShare:
    """A share offered to this case's family (their session's case); otherwise NotFoundError,
    the same for another family's share, a withdrawn or an expired one."""
    share = (
        DocumentShare.objects.filter(
            public_id=public_id,
            document__filing__case=case,
            withdrawn_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("document__filing__case")
        .first()
    )
    if share is None:
        raise NotFoundError("No such document.")
    return share


def document_shares_of_filing(*, filing: Filing) -> QuerySet[DocumentShare]:
    """A filing's drafts on the family's page now (for the filing page's Documents box)."""
    return document_shares_offered(case=filing.case).filter(document__filing=filing)
