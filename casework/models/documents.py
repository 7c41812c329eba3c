"""Files and documents: uploads (encrypted originals, cleaned copies), intake submissions,
staff notices, and the document templates and the drafts made from them."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.crypto import EncryptedCharField, EncryptedTextField
from casework.models.cases import Case, TimelineEntry
from casework.models.people import Jurisdiction
from casework.models.rules import Verification


class Attachment(models.Model):
    """A file from a family or a caseworker.

    Both the original and the cleaned copy are stored encrypted on disk (MEDIA_ROOT), named by a
    random id; the original's keyed checksum (crypto.content_digest, never a plain hash that a
    guess could be tested against) proves what was received. The cleaned copy (metadata removed)
    is made by a Celery task, off the request path.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("being cleaned")
        CLEAN = "clean", _("cleaned")
        FAILED = "failed", _("could not be cleaned")

    class Source(models.TextChoices):
        FAMILY = "family", _("family")
        STAFF = "staff", _("staff")

    class DocumentKind(models.TextChoices):
        """What a staff upload is (a family's files have none): the proof a court asks for."""

        RECEIPT = "receipt", _("post office receipt")
        DELIVERY_NOTICE = "delivery_notice", _("delivery notice")
        ANSWER = "answer", _("answer letter")
        OTHER = "other", _("other document")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("case")
    )
    timeline_entry = models.ForeignKey(
        TimelineEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments"
    )
    filename = EncryptedCharField(_("file name"), max_length=255, blank=True)
    kind = models.CharField(_("type"), max_length=8)
    size = models.PositiveIntegerField(_("size"))
    digest = models.CharField(_("keyed checksum of the original"), max_length=80, editable=False)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.FAMILY)
    # A staff upload's filing (a receipt, a delivery notice, the answer), if it belongs to one.
    filing = models.ForeignKey(
        "casework.Filing",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("filing"),
    )
    document_kind = models.CharField(
        _("document"), max_length=16, choices=DocumentKind.choices, blank=True
    )
    uploaded_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.PENDING)
    cleaned_content_type = models.CharField(max_length=40, blank=True)
    cleaned_extension = models.CharField(max_length=8, blank=True)
    metadata_found = models.JSONField(_("metadata found"), default=list, blank=True)
    failure = models.CharField(max_length=40, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    cleaned_at = models.DateTimeField(_("cleaned"), null=True, blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return f"file-{str(self.public_id)[:8]}"


class IntakeSubmission(models.Model):
    """A single-use token for one intake form: a reload or double tap returns the same receipt.

    The access code is kept encrypted only until the family confirms they wrote it down (or it
    expires), so the receipt can be shown again without a second case. The token is stored
    only as a keyed hash: it is what re-shows that code, so a dump must not hold it.
    """

    token_hash = models.CharField(max_length=64, unique=True)
    case = models.OneToOneField(
        Case,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="submission",
        verbose_name=_("case"),
    )
    access_code = EncryptedCharField(max_length=32, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"submission#{self.pk}"


class RateCounter(models.Model):
    """Counters for rate limits and lockouts when Redis is absent (embedded default).

    Keys are keyed hashes: never an address, a reference or a username in clear.
    """

    key = models.CharField(max_length=80, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.key


class Notification(models.Model):
    """An email to staff: pending -> sending (claimed) -> sent; a sweep retries stale rows.

    `dedupe_key` makes queuing idempotent: the same notice is never created twice. Sending is
    at least once (see services/notifications.py): nothing is lost, and a repeat sends nothing.
    A refused send is tried again at `next_attempt_at` (a growing pause); the row is given up
    (failed) only once NOTICE_RETRY_HOURS have passed since it was queued, never by a count.
    """

    class Failure(models.TextChoices):
        REFUSED = "refused", _("the mail server refused it until the retry time ran out")
        NO_ADDRESS = "no_address", _("the recipient has no email address")
        INACTIVE = "inactive", _("the recipient's account is deactivated")

    class Kind(models.TextChoices):
        NEW_INTAKE = "new_intake", _("new intake")
        DEADLINE_REMINDER = "deadline_reminder", _("deadline reminder")
        FAMILY_MESSAGE = "family_message", _("new information from a family")

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    recipient = models.ForeignKey(
        "auth.User", on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case"),
    )
    deadline = models.ForeignKey(
        "casework.Deadline", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    dedupe_key = models.CharField(max_length=120, unique=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When a sender claimed the row (state "sending"); a claim older than the timeout is retried.
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    # No sender may claim a pending row before this moment: however many tasks, sweeps and
    # redeliveries touch it, a refused row is tried once per pause (one retry chain per row).
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A new intake flagged at risk: sent first, retried with a shorter pause, listed first.
    urgent = models.BooleanField(default=False)
    given_up_at = models.DateTimeField(null=True, blank=True)
    failure = models.CharField(max_length=12, choices=Failure.choices, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["state", "created_at"]),
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(
                fields=["given_up_at"],
                name="notification_given_up",
                condition=models.Q(state="failed"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}#{self.pk}"


class DocumentTemplate(models.Model):
    """A lawyer's outline for one kind of document (a complaint, a рапорт …), as editable data.

    The four parts are Django template text over the case's facts (see casework/drafting.py for
    the names a template may use). A version any document was made from is never changed:
    saving it in the admin makes version N+1 under the same code (services/documents.py).
    """

    code = models.SlugField(
        _("code"), max_length=60, help_text=_("The same for every version of one template.")
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    name = models.CharField(_("name"), max_length=200)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=2, choices=Jurisdiction.choices)
    filing_kinds = models.JSONField(_("filing kinds"), default=list)
    office_kinds = models.JSONField(
        _("office kinds"),
        default=list,
        blank=True,
        help_text=_("Leave empty for any office; a template naming the office kind wins."),
    )
    # A рапорт speaks as the serviceman, a complaint as the family member: never the other.
    signers = models.JSONField(
        _("signed by"), default=list, blank=True, help_text=_("Leave empty for either.")
    )
    heading = models.TextField(
        _("heading"), help_text=_("Top right: to whom, from whom. One line per line.")
    )
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(
        _("body"),
        help_text=_(
            "Paragraphs separated by an empty line. A paragraph in capitals ending with a "
            "colon (ПРОШУ:) is set in bold."
        ),
    )
    signature = models.TextField(_("date and signature"))
    verification = models.CharField(
        _("verification"),
        max_length=10,
        choices=Verification.choices,
        default=Verification.UNVERIFIED,
    )
    source = models.TextField(_("source"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        "auth.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")
        ordering = ["jurisdiction", "code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="template_code_version")
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class GeneratedDocument(models.Model):
    """A draft made from a template for one filing: pending -> ready (or failed), by a task.

    The .docx is kept encrypted in the row (base64 inside an encrypted column, so key rotation
    and retention treat it like every other personal value); its keyed checksum proves which
    draft was downloaded. Each file is unique (a random document id in its properties), so two
    drafts of the same facts never share a checksum. The template version it was made from is
    recorded and never changes.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("being prepared")
        READY = "ready", _("ready")
        FAILED = "failed", _("could not be prepared")

    filing = models.ForeignKey(
        "casework.Filing",
        on_delete=models.CASCADE,
        related_name="documents",
        verbose_name=_("filing"),
    )
    template = models.ForeignKey(
        DocumentTemplate,
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=_("template"),
    )
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.PENDING)
    content = EncryptedTextField(blank=True, editable=False)
    digest = models.CharField(_("keyed checksum"), max_length=80, blank=True, editable=False)
    failure = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The one-time token of the form that asked for it: a reload or a double tap asks once.
    submission_token = models.CharField(
        max_length=64, null=True, blank=True, unique=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    ready_at = models.DateTimeField(_("ready"), null=True, blank=True)

    class Meta:
        verbose_name = _("generated document")
        verbose_name_plural = _("generated documents")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return gettext("document #%(number)s") % {"number": self.pk}

    @property
    def digest_shown(self) -> str:
        """The start of the checksum, as the filing page shows it (the key id left out)."""
        return self.digest.rpartition("$")[2][:12]


class DocumentShare(models.Model):
    """A ready draft a caseworker gave the family to download from their status page until
    `expires_at`: the рапорт he must sign, the family's own complaint. Withdrawn or expired, it
    is gone from the page at once and its PDF is wiped (services/document_shares.py).

    The family's link names the share by a random id, never by a number one could count up.
    The PDF is made from the .docx by LibreOffice in the `files` queue; the .docx is offered
    from the moment of sharing."""

    class PdfState(models.TextChoices):
        PENDING = "pending", _("being prepared")
        READY = "ready", _("ready")
        FAILED = "failed", _("could not be prepared")
        REMOVED = "removed", _("removed")  # withdrawn or past its date: the PDF was wiped

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    document = models.ForeignKey(GeneratedDocument, on_delete=models.CASCADE, related_name="shares")
    shared_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    shared_at = models.DateTimeField(_("shared"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("available until"))
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    pdf = EncryptedTextField(blank=True, editable=False)  # base64, as the draft's .docx
    pdf_state = models.CharField(
        _("PDF"), max_length=8, choices=PdfState.choices, default=PdfState.PENDING
    )
    pdf_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("draft shared with the family")
        verbose_name_plural = _("drafts shared with the family")
        ordering = ["shared_at", "id"]

    def __str__(self) -> str:
        return f"share#{self.pk}"
