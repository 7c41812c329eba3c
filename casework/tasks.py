"""Celery tasks: thin, take ids (never personal data), call services, safe to repeat."""

from celery import shared_task


@shared_task(name="casework.tasks.heartbeat")
def heartbeat(*, name: str = "beat") -> None:
    from casework.services.system import heartbeat_record  # local: services may queue tasks

    heartbeat_record(name=name)


@shared_task(name="casework.tasks.sweep_deadlines")
def sweep_deadlines() -> None:
    from casework.services.reminders import deadlines_sweep

    deadlines_sweep()


@shared_task(name="casework.tasks.purge_expired")
def purge_expired() -> None:
    from casework.services.retention import purge_expired as purge

    purge()


@shared_task(name="casework.tasks.send_reminder_digest", acks_late=True)
def send_reminder_digest(*, user_id: int) -> None:
    from django.contrib.auth.models import User

    from casework.models import Notification
    from casework.services.notifications import (
        notifications_next_attempt,
        notifications_retry_countdown,
    )
    from casework.services.reminders import reminder_digest_send

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return  # gone since the sweep; its rows stay pending and harmless
    try:
        reminder_digest_send(user=user)  # sent rows are never picked again, so repeats are safe
    except OSError:
        # Refused: the rows wait for their next attempt (services/notifications.py), and this
        # task comes back then; a repeat before that claims nothing. Past a long pause, the
        # deadline sweep (every 15 minutes) queues the digest instead.
        retry_at = notifications_next_attempt(
            Notification.objects.filter(recipient=user, kind=Notification.Kind.DEADLINE_REMINDER)
        )
        countdown = notifications_retry_countdown(retry_at)
        if countdown is not None:
            send_reminder_digest.apply_async(kwargs={"user_id": user_id}, countdown=countdown)


# --- Family portal: cleaning uploads, sending notices, the sweep that re-queues both ---------


@shared_task(
    name="casework.tasks.clean_attachment",
    autoretry_for=(Exception,),  # transient (disk, poppler); bad files are marked failed instead
    retry_backoff=True,
    max_retries=4,
    acks_late=True,
)
def clean_attachment(*, attachment_id: int) -> None:
    from casework.services.attachments import attachment_clean

    attachment_clean(attachment_id=attachment_id)  # no-op unless still pending


@shared_task(
    name="casework.tasks.generate_document",
    autoretry_for=(Exception,),  # transient; a template that does not render is marked failed
    retry_backoff=True,
    max_retries=4,
    acks_late=True,
)
def generate_document(*, document_id: int) -> None:
    from casework.services.documents import document_generate

    document_generate(document_id=document_id)  # no-op unless still pending


@shared_task(name="casework.tasks.send_notifications", acks_late=True)
def send_notifications(*, notification_ids: list[int]) -> None:
    from casework.services.notifications import NotificationDeliveryError, notifications_send

    try:
        notifications_send(notification_ids=notification_ids)  # skips any not pending and due
    except NotificationDeliveryError as exc:
        _retry_notifications(notification_ids, exc)


def _retry_notifications(notification_ids: list[int], exc: Exception) -> None:
    """Come back when the refused notices are due again (one follow-up per refusal, so retry
    chains never multiply); a pause longer than a task should wait is left to the sweep."""
    from casework.services.notifications import notifications_retry_countdown

    countdown = notifications_retry_countdown(getattr(exc, "retry_at", None))
    if countdown is not None:
        send_notifications.apply_async(
            kwargs={"notification_ids": notification_ids}, countdown=countdown
        )


@shared_task(name="casework.tasks.send_pending_notifications")
def send_pending_notifications() -> None:
    from casework.models import Notification
    from casework.services.notifications import (
        NotificationDeliveryError,
        notifications_next_attempt,
        notifications_send_untried,
    )

    refused, more = notifications_send_untried()
    if refused:
        # To the task that comes back when they are due: a refused notice is not untried any
        # more, so the senders woken every few seconds leave it alone.
        retry_at = notifications_next_attempt(Notification.objects.filter(pk__in=refused))
        _retry_notifications(refused, NotificationDeliveryError("refused", retry_at=retry_at))
    if more:
        send_pending_notifications.delay()


@shared_task(
    name="casework.tasks.make_share_pdf",
    autoretry_for=(Exception,),  # transient; LibreOffice failing marks the PDF failed instead
    retry_backoff=True,
    max_retries=2,
    acks_late=True,
)
def make_share_pdf(*, share_id: int) -> None:
    from casework.services.document_shares import document_share_pdf_make

    document_share_pdf_make(share_id=share_id)  # no-op unless still offered and pending


@shared_task(name="casework.tasks.refresh_statistics")
def refresh_statistics() -> None:
    from casework.admin.statistics import statistics_refresh

    statistics_refresh()


@shared_task(name="casework.tasks.reindex_servicemen")
def reindex_servicemen() -> None:
    from casework.services.keys import servicemen_reindex

    servicemen_reindex()


@shared_task(name="casework.tasks.sweep_portal")
def sweep_portal() -> None:
    from casework.services import ratelimit
    from casework.services.attachments import attachments_requeue_stale
    from casework.services.document_shares import (
        document_shares_expired_wipe,
        document_shares_requeue_stale,
    )
    from casework.services.documents import documents_requeue_stale
    from casework.services.imports import imports_abandon_stale
    from casework.services.intake import intake_receipts_expire
    from casework.services.keys import servicemen_reindex
    from casework.services.notifications import notifications_requeue_stale

    notifications_requeue_stale()
    attachments_requeue_stale()
    documents_requeue_stale()
    document_shares_requeue_stale()
    document_shares_expired_wipe()
    intake_receipts_expire()
    imports_abandon_stale()  # a sheet left on the mapping screen is deleted after six hours
    ratelimit.purge_expired()
    # Rows indexed under an older given-name table (an edit's re-index task was lost, or an
    # intake read the table in the minute before the edit): one scan, nothing to do usually.
    servicemen_reindex()
