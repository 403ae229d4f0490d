"""The outbox and its delivery (Celery in-process, as on the embedded default): atomicity with
the event, relay, e-mail (locmem and a real SMTP server), signed webhooks to a real local HTTP
receiver, retries with backoff, failure and the retry button, the sweep, never twice."""

import json
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from kombu.exceptions import OperationalError

from notifications import services
from notifications.channels import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    reset_connections,
    sign,
    verify,
)
from notifications.choices import Channel, EventType, NotificationStatus, Priority
from notifications.models import Disclosure, Notification, NotificationEvent
from notifications.services import publish_event
from notifications.tasks import relay_notifications_task
from tests.notifications.conftest import endpoint
from tests.notifications.receivers import HttpReceiver, SmtpSink

pytestmark = pytest.mark.django_db

S = NotificationStatus


def publish(registrant, actor=None, **kwargs):
    kwargs.setdefault("event_type", EventType.PASSPORT_APPLICATION)
    return publish_event(registrant=registrant, actor=actor, **kwargs)


def test_rolled_back_event_leaves_no_notification(
    world, rules, registrant, django_capture_on_commit_callbacks, committed
):
    endpoint(world.va)

    def event_that_fails():
        with transaction.atomic():
            assert publish(registrant, world.va_staff)
            raise RuntimeError("the event's own write failed")

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
        event_that_fails()
    assert Notification.objects.count() == 0
    assert NotificationEvent.objects.count() == 0
    assert Disclosure.objects.count() == 0
    assert callbacks == []  # nothing is relayed for a rolled-back event
    assert mail.outbox == []


def test_committed_event_is_delivered_by_email_and_signed_webhook(world, rules, registrant, committed):
    with HttpReceiver() as receiver:
        hook = endpoint(world.nsotc, kind="webhook", address=receiver.url)
        endpoint(world.va, address="desk@va.example.test")
        with committed() as callbacks:
            written = publish(registrant, world.va_staff)
        # one relay request per transaction (the relay's own enqueue follows its claim)
        assert [c.__name__ for c in callbacks].count("_kick_relay") == 1
        # NSOTC: inbox + webhook; VA: inbox + e-mail
        assert sorted((n.agency.code, n.channel) for n in written) == [
            ("NSOTC", "inbox"), ("NSOTC", "webhook"), ("VA", "email"), ("VA", "inbox"),
        ]  # fmt: skip
        assert set(Notification.objects.values_list("status", flat=True)) == {S.DELIVERED}

        # the webhook: signed over timestamp + body, carrying the idempotency key, no personal data
        assert len(receiver.accepted) == 1
        request = receiver.accepted[0]
        headers, body = request["headers"], request["body"]
        assert verify(hook.secret, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
        assert not verify("another-secret", headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
        assert not verify(hook.secret, headers[TIMESTAMP_HEADER], body + b" ", headers[SIGNATURE_HEADER])
        webhook = Notification.objects.get(channel=Channel.WEBHOOK)
        assert headers[IDEMPOTENCY_HEADER] == str(webhook.idempotency_key)
        payload = json.loads(body)
        assert payload["link"].endswith(f"/notifications/{webhook.pk}/")
        assert "Perez" not in body.decode() and "registrant" not in payload

    # the e-mail: a link, no name; the Message-ID is the idempotency key
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    email_row = Notification.objects.get(channel=Channel.EMAIL)
    assert message.to == ["desk@va.example.test"]
    assert message.extra_headers["Message-ID"] == f"<{email_row.idempotency_key}@rsoits.notifications>"
    assert f"/notifications/{email_row.pk}/" in message.body
    assert "Perez" not in message.body and "Ana" not in message.body

    # every delivery is a disclosure naming the sender
    disclosures = Disclosure.objects.filter(registrant=registrant)
    assert disclosures.count() == 4
    assert set(disclosures.values_list("sender_name", flat=True)) == {"va_staff"}


def test_secure_webhook_carries_the_details(world, rules, registrant, django_capture_on_commit_callbacks, committed):
    with HttpReceiver() as receiver:
        endpoint(world.nsotc, kind="webhook", address=receiver.url, secure=True)
        with committed():
            publish(registrant)
        payload = receiver.payload()
    assert payload["registrant"]["name"] == "Ana Perez"
    assert payload["content_level"] == "full"


def test_a_delivery_reads_its_row_once_and_writes_the_row_and_the_disclosure(
    world, rules, registrant, django_capture_on_commit_callbacks, django_assert_num_queries
):
    with HttpReceiver() as receiver:
        endpoint(world.nsotc, kind="webhook", address=receiver.url, secure=True)  # full content
        publish(registrant, world.va_staff, context={"note": "seen"})
        with django_capture_on_commit_callbacks(execute=False):
            services.notification_relay()  # claimed, tasks not run
        hook = Notification.objects.get(channel=Channel.WEBHOOK)
        # savepoint, the locking SELECT with the relations the message uses, UPDATE, INSERT, release
        with django_assert_num_queries(5):
            assert services.notification_deliver(notification_id=hook.pk) == S.DELIVERED
        payload = receiver.payload()
    assert payload["registrant"]["name"] == "Ana Perez"
    assert payload["registrant"]["registering_agency"] == "VA"
    assert payload["context"] == {"note": "seen"}
    assert payload["recipient_agency"] == "NSOTC"
    hook.refresh_from_db()
    assert (hook.status, hook.attempts, hook.last_error) == (S.DELIVERED, 1, "")
    assert hook.history.count() == 1  # the creation; the delivery is recorded by its disclosure
    disclosure = Disclosure.objects.get(notification=hook)
    assert (disclosure.sender, disclosure.sender_name) == (world.va_staff, "va_staff")
    assert (disclosure.recipient_agency, disclosure.recipient_name) == (world.nsotc, world.nsotc.name)
    assert disclosure.recipient_address == world.nsotc.address
    assert disclosure.destination == receiver.url


def test_signature_is_hmac_sha256_over_timestamp_and_body():
    import hashlib
    import hmac

    expected = hmac.new(b"k", b"123.{}", hashlib.sha256).hexdigest()
    assert sign("k", "123", b"{}") == f"sha256={expected}"
    assert not verify("k", "123", b"{}", sign("k", "123", b"{}"))  # far too old a timestamp


def test_real_smtp_server_receives_the_message(world, rules, registrant, django_capture_on_commit_callbacks, committed):
    endpoint(world.va, address="desk@va.example.test")
    with (
        SmtpSink() as sink,
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=sink.port,
            EMAIL_USE_TLS=False,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
        ),
    ):
        reset_connections()
        with committed():
            publish(registrant)
        reset_connections()
    email_row = Notification.objects.get(channel=Channel.EMAIL)
    assert email_row.status == S.DELIVERED
    assert sink.keys == [str(email_row.idempotency_key)]
    assert sink.messages[0]["to"] == ["desk@va.example.test"]
    assert f"/notifications/{email_row.pk}/" in sink.messages[0]["body"]


def test_broker_down_at_commit_then_delivered_by_the_periodic_relay(world, rules, registrant, committed):
    endpoint(world.va)
    down = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with mock.patch.object(relay_notifications_task, "apply_async", side_effect=down), committed():
        publish(registrant)
    email_row = Notification.objects.get(channel=Channel.EMAIL)
    assert email_row.status == S.PENDING  # committed, kept, waiting for the broker
    assert mail.outbox == []
    # the broker is back: beat runs the relay
    with committed():
        assert relay_notifications_task.apply().get() == 1
    email_row.refresh_from_db()
    assert email_row.status == S.DELIVERED
    assert len(mail.outbox) == 1


def test_enqueue_failure_gives_rows_back_to_the_relay(
    world, rules, registrant, django_capture_on_commit_callbacks, committed
):
    endpoint(world.va)
    publish(registrant)  # not committed: nothing relayed yet
    from notifications.tasks import deliver_notification_task

    down = OperationalError("down")
    with mock.patch.object(deliver_notification_task, "apply_async", side_effect=down), committed():
        claimed = services.notification_relay()
    assert len(claimed) == 1
    assert Notification.objects.get(pk=claimed[0]).status == S.PENDING


def test_delivered_once_however_often_the_task_runs(
    world, rules, registrant, django_capture_on_commit_callbacks, committed
):
    endpoint(world.va)
    publish(registrant)
    with django_capture_on_commit_callbacks(execute=False):
        [pk] = services.notification_relay()  # claimed, task not run
    assert services.notification_deliver(notification_id=pk) == S.DELIVERED
    assert services.notification_deliver(notification_id=pk) == S.DELIVERED  # a duplicate task
    assert len(mail.outbox) == 1
    assert Disclosure.objects.filter(notification_id=pk).count() == 1


def test_unclaimed_row_is_not_sent_by_a_stray_task(world, rules, registrant):
    endpoint(world.va)
    publish(registrant)
    row = Notification.objects.get(channel=Channel.EMAIL)
    assert services.notification_deliver(notification_id=row.pk) == S.PENDING
    assert mail.outbox == []


@override_settings(NOTIFICATIONS_MAX_ATTEMPTS=3, NOTIFICATIONS_RETRY_BASE_SECONDS=60)
def test_retries_with_backoff_then_failed_then_retry_button(client, world, rules, registrant, committed):
    with HttpReceiver(statuses=[500, 503, 502]) as receiver:
        endpoint(world.nsotc, kind="webhook", address=receiver.url)
        start = timezone.now()
        with committed():
            publish(registrant)
        row = Notification.objects.get(channel=Channel.WEBHOOK)
        assert (row.status, row.attempts) == (S.PENDING, 1)
        assert "HTTP 500" in row.last_error
        # first retry: between half and all of 60 s from now, scheduled in the database
        assert start + timedelta(seconds=29) <= row.next_attempt_at <= timezone.now() + timedelta(seconds=61)
        # not due yet: the relay leaves it alone
        with committed():
            assert services.notification_relay() == []
        for attempt, ceiling in ((2, 120), (3, None)):
            due = row.next_attempt_at
            with time_machine.travel(due, tick=False), committed():
                assert services.notification_relay() == [row.pk]
            row.refresh_from_db()
            assert row.attempts == attempt
            if ceiling:  # the second retry waits between half and all of 120 s
                assert row.status == S.PENDING
                assert due + timedelta(seconds=ceiling / 2) <= row.next_attempt_at <= due + timedelta(seconds=ceiling)
        assert row.status == S.FAILED
        assert "HTTP 502" in row.last_error
        assert len(receiver.requests) == 3

        # the error is shown to the admin, with the retry button; others cannot retry
        client.force_login(world.sysadmin)
        body = client.get(f"/notifications/{row.pk}/").content.decode()
        assert "HTTP 502" in body and 'data-testid="retry"' in body
        client.force_login(world.md_staff)
        assert client.post(f"/notifications/{row.pk}/retry/").status_code == 404
        client.force_login(world.sysadmin)
        with committed():
            response = client.post(f"/notifications/{row.pk}/retry/")
        assert response.status_code == 302
        row.refresh_from_db()
        assert (row.status, row.attempts) == (S.DELIVERED, 1)
        assert len(receiver.accepted) == 1
        retried = row.history.filter(history_change_reason__startswith="Retried by sysadmin")
        assert retried.get().history_user == world.sysadmin


def test_illegal_transitions_are_refused(world, rules, registrant):
    endpoint(world.va)
    publish(registrant)
    inbox = Notification.objects.get(channel=Channel.INBOX, agency=world.va)
    with pytest.raises(ValidationError, match="delivered cannot be sent again"):
        services.notification_retry(actor=world.sysadmin, notification=inbox)
    with pytest.raises(Exception, match="system administrator"):
        services.notification_retry(actor=world.va_staff, notification=inbox)


def test_sweep_reenqueues_stalled_deliveries(world, rules, registrant, django_capture_on_commit_callbacks, committed):
    endpoint(world.va)
    publish(registrant)
    with django_capture_on_commit_callbacks(execute=False):
        [pk] = services.notification_relay()  # claimed; its task was lost with its worker
    with committed():
        assert services.notification_sweep() == []  # not stalled yet
        later = timezone.now() + timedelta(minutes=11)
        assert services.notification_sweep(now=later) == [pk]
    assert Notification.objects.get(pk=pk).status == S.DELIVERED
    assert len(mail.outbox) == 1


def test_dedupe_key_writes_nothing_twice(world, rules, registrant):
    endpoint(world.va)
    first = publish(registrant, dedupe_key="deadline:x:1")
    assert len(first) == 3
    assert publish(registrant, dedupe_key="deadline:x:1") == []
    assert NotificationEvent.objects.count() == 1
    assert len(publish(registrant, dedupe_key="deadline:x:2")) == 3


def test_a_key_vouched_new_writes_once_and_a_wrong_vouch_fails_rather_than_duplicates(world, rules, registrant):
    from django.db import IntegrityError

    endpoint(world.va)
    written = publish(registrant, dedupe_key="hit:new:1", key_is_new=True)
    assert len(written) == 3 and NotificationEvent.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        publish(registrant, dedupe_key="hit:new:1", key_is_new=True)
    assert NotificationEvent.objects.count() == 1
    assert Notification.objects.filter(dedupe_key="hit:new:1").count() == 3
    assert publish(registrant, dedupe_key="hit:new:1") == []  # the careful way still finds them


def test_a_concurrent_twin_under_the_same_dedupe_key_is_left_out(world, rules, registrant):
    """Between the dedupe check and the insert, a twin (another process publishing the same
    event) reached one recipient: the others are still written, that one is not written twice."""
    endpoint(world.va)
    twin_wrote = publish(registrant, dedupe_key="deadline:twin")
    taken = next(n for n in twin_wrote if n.channel == Channel.EMAIL)
    event = NotificationEvent.objects.get()
    fresh = [
        Notification(
            event=event, registrant=registrant, event_type=event.event_type, agency=taken.agency,
            recipient_role=taken.recipient_role, channel=taken.channel, address=taken.address,
            subject="s", dedupe_key="deadline:twin",
        ),
        Notification(
            event=event, registrant=registrant, event_type=event.event_type, agency=world.va,
            recipient_role=taken.recipient_role, channel=Channel.EMAIL, address="other@va.example.test",
            subject="s", dedupe_key="deadline:twin",
        ),
    ]  # fmt: skip
    written = services._write_notifications(fresh, dedupe_key="deadline:twin")
    assert [n.address for n in written] == ["other@va.example.test"]
    assert Notification.objects.filter(dedupe_key="deadline:twin", address=taken.address).count() == 1
    assert Notification.objects.filter(dedupe_key="deadline:twin").count() == len(twin_wrote) + 1


def test_an_events_notifications_carry_history_and_disclosures_of_their_actor(world, rules, registrant):
    endpoint(world.va)
    written = publish(registrant, world.va_staff)
    assert written and all(n.pk for n in written)
    for notification in written:
        created = notification.history.get()
        assert created.history_type == "+" and created.history_user == world.va_staff
        assert created.priority == notification.priority
    inbox = [n for n in written if n.channel == Channel.INBOX]
    assert inbox and Disclosure.objects.filter(notification__in=inbox, sender=world.va_staff).count() == len(inbox)
    assert not Disclosure.objects.filter(notification__in=[n for n in written if n.channel != Channel.INBOX])
    assert {n.priority_rank for n in Notification.objects.filter(pk__in=[n.pk for n in written])} == {
        Priority.rank(n.priority) for n in written
    }


def test_retry_delay_grows_exponentially_with_jitter():
    with override_settings(NOTIFICATIONS_RETRY_BASE_SECONDS=10, NOTIFICATIONS_RETRY_MAX_SECONDS=100):
        for attempts, full in ((1, 10), (2, 20), (3, 40), (4, 80), (5, 100), (9, 100)):
            delays = {services.retry_delay(attempts).total_seconds() for _ in range(20)}
            assert all(full / 2 <= d <= full for d in delays)
            assert len(delays) > 1  # jittered


def test_many_events_in_one_transaction_ask_for_one_relay(world, rules, registrant, committed):
    endpoint(world.va)
    with committed() as callbacks, transaction.atomic():
        for n in range(5):
            publish(registrant, dedupe_key=f"many:{n}")
    assert [c.__name__ for c in callbacks].count("_kick_relay") == 1
    assert Notification.objects.filter(channel=Channel.EMAIL, status=S.DELIVERED).count() == 5
    assert len(mail.outbox) == 5


def test_disclosures_are_append_only(world, rules, registrant):
    publish(registrant)
    disclosure = Disclosure.objects.first()
    disclosure.recipient_name = "someone else"
    with pytest.raises(ValidationError, match="append-only"):
        disclosure.save()
    with pytest.raises(ValidationError, match="append-only"):
        disclosure.delete()
    assert Disclosure.objects.filter(recipient_name="someone else").count() == 0
