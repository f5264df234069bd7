"""A realistic demo: a software company's support desk over the last 90 days.

Everything is created through the normal actions (inside `clock.frozen`), so
the demo's timelines, counters and timestamps are exactly what real use makes.
"""

import random
import struct
import unicodedata
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from helpline.accounts.actions import create_agent
from helpline.accounts.models import Role, Team, User
from helpline.contacts.actions import create_contact, create_organization
from helpline.contacts.models import Contact
from helpline.lib import clock
from helpline.tickets import actions
from helpline.tickets.files import Upload
from helpline.tickets.models import Category, CustomField, FieldKind, Status, Ticket

DEMO_MAILBOX = "support@demo.helpline.test"
DEMO_PASSWORD = "helpline-demo"  # noqa: S105 - printed for everyone on purpose
AGENTS = [
    ("Ada Admin", "admin@demo.helpline.test", Role.ADMIN, "Customer Success"),
    ("Sam Rivera", "sam@demo.helpline.test", Role.AGENT, "Customer Success"),
    ("Priya Natarajan", "priya@demo.helpline.test", Role.AGENT, "Customer Success"),
    ("Jonas Weber", "jonas@demo.helpline.test", Role.AGENT, "Technical Support"),
    ("Mei Chen", "mei@demo.helpline.test", Role.LIGHT_AGENT, "Technical Support"),
]
ORGANISATIONS = [
    ("Northwind Traders", "northwind.example"), ("Globex", "globex.example"),
    ("Initech", "initech.example"), ("Umbrella Health", "umbrella-health.example"),
    ("Stark Logistics", "starklogistics.example"), ("Wayne Foods", "waynefoods.example"),
    ("Acme Rockets", "acme.example"), ("Tyrell Design", "tyrell.example"),
]  # fmt: skip
FIRST_NAMES = [
    "Alice", "Bruno", "Chloé", "Dmitri", "Elena", "Farah", "Gustav", "Hana", "Ibrahim", "Julia",
    "Kenji", "Lucía", "Marek", "Nadia", "Oskar", "Paula", "Quentin", "Rosa", "Sven", "Tariq",
    "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zoë", "Amara", "Björn", "Carmen", "Diego",
    "Esther", "Felix", "Greta", "Hiro", "Ines", "Jamal", "Karin", "Leo", "Maya", "Noah",
]  # fmt: skip
LAST_NAMES = [
    "Okafor", "Lindqvist", "Moreau", "Petrov", "García", "Haddad", "Novak", "Sato", "Kowalski",
    "Silva", "Jensen", "Rossi", "Nakamura", "Fischer", "O'Brien", "Dubois", "Müller", "Khan",
]  # fmt: skip


@dataclass(frozen=True)
class Scenario:
    subject: str
    opening: str
    agent_reply: str
    follow_up: str
    category: str
    tags: tuple[str, ...]
    type: str = "question"
    team: str = "Customer Success"


SCENARIOS = [
    Scenario(
        "Can't log in after password reset",
        "Hi,\n\nI reset my password this morning but the login page still says "
        '"invalid credentials". I\'ve tried twice, in Chrome and Firefox.\n\nThanks,\n{name}',
        "Hi {first},\n\nSorry about that. The reset link signs out every session, and the "
        "browser had kept the old password in autofill. I've cleared the lock on your account; "
        "please type the new password by hand once and it will work.\n\nBest,\n{agent}",
        "That worked, thank you!",
        "Login",
        ("login", "user-education"),
        "incident",
    ),
    Scenario(
        "Invoice shows the wrong VAT number",
        "Hello,\n\nOur March invoice has our old VAT number on it. Our finance team needs a "
        "corrected invoice to book it. The right number is DE-294-551-019.\n\n{name}",
        "Hi {first},\n\nThanks for catching that. I've updated the VAT number on your account "
        "and attached a corrected invoice for March. Future invoices will use the new number."
        "\n\n{agent}",
        "Received, finance is happy. Thanks.",
        "Billing",
        ("billing", "invoice"),
    ),
    Scenario(
        "CSV export times out for large projects",
        "When I export a project with ~80k rows to CSV the page spins for a minute and then "
        "shows a 504. Smaller projects export fine. This blocks our monthly reporting.\n\n{name}",
        "Hi {first},\n\nThanks for the detail. I could reproduce it: exports above 50k rows "
        "hit the request timeout. I've linked this to our engineering problem ticket; as a "
        "workaround, the export can be split by date range (Filters → Date) and each part "
        "stays well under the limit.\n\n{agent}",
        "The workaround is OK for now, please tell us when the fix ships.",
        "Bug",
        ("bug", "export"),
        "problem",
        "Technical Support",
    ),
    Scenario(
        "Feature request: dark mode",
        "Our team works late shifts and would love a dark theme for the dashboard. Is that "
        "on the roadmap?\n\n{name}",
        "Hi {first},\n\nThank you for the suggestion! I've added your vote to the dark mode "
        "request that our product team reviews every month. I can't promise a date yet, but "
        "I've set this ticket to follow the request so you'll hear from us.\n\n{agent}",
        "Great, thanks!",
        "Feature request",
        ("feature-request",),
        "question",
    ),
    Scenario(
        "Webhook deliveries failing with 401",
        "Since yesterday our endpoint receives the webhooks but rejects them with 401. We did "
        "not change anything on our side. Did the signing secret change?\n\n{name}",
        "Hi {first},\n\nThe signing secret did not change, but the signature header now uses "
        "the v2 format (timestamp + HMAC) announced last month. Your verification code still "
        "checks the v1 header. The docs page 'Verifying webhooks' has a 10-line example."
        "\n\n{agent}",
        "Updated our code, deliveries are green again.",
        "Integrations",
        ("api", "webhooks"),
        "incident",
        "Technical Support",
    ),
    Scenario(
        "How do I add a new team member?",
        "Hi there, we hired two new support people. How do I give them access? I only see my "
        "own profile in Settings.\n\n{name}",
        "Hi {first},\n\nOnly account owners can invite people. Your owner is listed under "
        "Settings → Billing; they can go to Settings → Team → Invite. I've also sent them a "
        "note so they know you asked.\n\n{agent}",
        "Found it, thanks for the quick answer.",
        "Account",
        ("onboarding", "user-education"),
    ),
    Scenario(
        "Please cancel our subscription",
        "We are moving to another tool and would like to cancel at the end of this billing "
        "period. Please confirm we won't be charged again.\n\n{name}",
        "Hi {first},\n\nI'm sorry to see you go. I've scheduled the cancellation for the end "
        "of your current period; you won't be charged again and your data stays exportable for "
        "30 days. If you have a minute, what made you switch? It helps us a lot.\n\n{agent}",
        "Mostly price for our team size. Thanks for the smooth process.",
        "Billing",
        ("billing", "churn-risk"),
    ),
    Scenario(
        "Mobile app crashes when opening attachments",
        "On iOS 18 the app closes immediately when I tap a PDF attachment. Screenshot "
        "attached.\n\n{name}",
        "Hi {first},\n\nThanks for the screenshot. This is a known crash in version 4.2.0 with "
        "PDFs over 20 MB; 4.2.1 with the fix is in App Store review now. Until then, the web "
        "app opens the same attachment fine.\n\n{agent}",
        "Updated to 4.2.1 and it works.",
        "Bug",
        ("bug", "mobile"),
        "incident",
        "Technical Support",
    ),
    Scenario(
        "SSO setup with Azure AD",
        "We want to enable SSO with Azure AD for 120 users. What do we need to configure on "
        "our side, and can we enforce SSO for everyone?\n\n{name}",
        "Hi {first},\n\nYou'll need an Enterprise app in Azure with the SAML settings from "
        "Settings → Security → SSO (entity ID and reply URL are shown there). Once one test "
        "login succeeds you can switch on 'Require SSO'. I'm happy to join a call for the "
        "switch-over.\n\n{agent}",
        "Test login works. We'll enforce it on Monday.",
        "Account",
        ("sso", "power-user"),
        "task",
        "Technical Support",
    ),
    Scenario(
        "Data import stuck at 0%",
        "I uploaded our customer list (12 MB CSV) two hours ago and the import still shows "
        "0%. Should I upload again?\n\n{name}",
        "Hi {first},\n\nPlease don't upload again: the import was waiting behind a large "
        "batch job. I've moved it to the front of the queue and it finished a minute ago — "
        "11,842 rows imported, 3 rows skipped for missing emails (list attached).\n\n{agent}",
        "Perfect, we'll fix those three by hand.",
        "Data",
        ("import", "onboarding"),
        "incident",
        "Technical Support",
    ),
]
NOTES = [
    "Checked the logs: the customer's account was rate-limited twice this week.",
    "@Jonas can you confirm this is the same root cause as the export timeouts?",
    "Customer is on the annual plan; renewal is next month — handle with care.",
    "Reproduced on staging. Filed ENG-4821.",
    "Called the customer, they prefer email updates.",
]
CHANNEL_WEIGHTS = {"email": 55, "web": 15, "portal": 12, "chat": 8, "api": 4, "phone": 6}
PRIORITY_WEIGHTS = {"low": 20, "normal": 55, "high": 18, "urgent": 7}
# Solved tickets older than the auto-close delay end up closed, as they would in real use.
STATUS_WEIGHTS = {"new": 8, "open": 17, "pending": 10, "on-hold": 5, "solved": 60}


def holds_only_demo_data() -> bool:
    """True for an empty database or one whose agents are all the demo's."""
    demo_emails = {email for _name, email, _role, _team in AGENTS}
    return not User.objects.exclude(email__in=demo_emails).exists()


def is_seeded() -> bool:
    return Ticket.objects.exists() or User.objects.filter(email=AGENTS[0][1]).exists()


def logins_text() -> str:
    lines = [f"Demo sign-ins (password for all: {DEMO_PASSWORD}):"]
    lines += [f"  {email:<28} {role.label}" for _name, email, role, _team in AGENTS]
    return "\n".join(lines)


def _png(width: int = 64, height: int = 40) -> bytes:
    """A small valid PNG (a blue-grey gradient) standing in for a customer's screenshot."""
    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in (40 + x, 80 + y, 160))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _people(rng: random.Random) -> tuple[dict[str, User], list[Contact]]:
    teams = {
        name: Team.objects.create(name=name) for name in ("Customer Success", "Technical Support")
    }
    agents = {}
    for name, email, role, team in AGENTS:
        agent = create_agent(
            email=email, name=name, password=DEMO_PASSWORD, role=role, acting_user=None
        )
        teams[team].members.add(agent)
        agents[email] = agent
    for name, domain in ORGANISATIONS:
        create_organization(name=name, domains=[domain], acting_user=agents[AGENTS[0][1]])
    contacts = []
    for index in range(40):
        first, last = FIRST_NAMES[index], rng.choice(LAST_NAMES)
        ascii_name = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore")
        slug = ascii_name.decode().lower().replace("'", "")
        domain = (
            ORGANISATIONS[index % 8][1]
            if index < 36
            else rng.choice(["mail.example", "post.example"])
        )
        contacts.append(
            create_contact(emails=[f"{slug}@{domain}"], name=f"{first} {last}", acting_user=None)
        )
    return agents, contacts


def _setup_catalogue() -> None:
    for name in ("Login", "Billing", "Bug", "Feature request", "Integrations", "Account", "Data"):
        Category.objects.get_or_create(name=name)
    CustomField.objects.get_or_create(
        key="plan",
        defaults={
            "label": "Plan",
            "kind": FieldKind.CHOICE,
            "choices": ["Starter", "Team", "Enterprise"],
        },
    )
    CustomField.objects.get_or_create(
        key="seats", defaults={"label": "Seats", "kind": FieldKind.NUMBER}
    )
    CustomField.objects.get_or_create(
        key="renewal", defaults={"label": "Renewal date", "kind": FieldKind.DATE}
    )


def _attachments_for(rng: random.Random, scenario: Scenario) -> list[Upload]:
    if "Screenshot" in scenario.opening or rng.random() < 0.12:
        return [Upload("screenshot.png", _png(), "image/png")]
    if rng.random() < 0.05:
        log = "\n".join(
            f"2026-09-0{i % 9 + 1}T10:0{i % 10}:00Z ERROR request timed out" for i in range(30)
        )
        return [Upload("app.log", log.encode(), "text/plain")]
    return []


def _one_ticket(
    rng: random.Random,
    agents: dict[str, User],
    contacts: list[Contact],
    start: datetime,
    now: datetime,
) -> None:
    scenario = rng.choice(SCENARIOS)
    requester = rng.choice(contacts)
    workers = [a for a in agents.values() if a.can_edit_tickets]
    agent = rng.choice(workers)
    target_status = _pick(rng, STATUS_WEIGHTS)
    fill = {"name": requester.name, "first": requester.name.split()[0], "agent": agent.name}
    team = Team.objects.get(name=scenario.team)
    moment = start
    with clock.frozen(min(now, moment)):
        ticket = actions.create_ticket(
            acting_user=None, requester=requester, subject=scenario.subject,
            body=scenario.opening.format(**fill), channel=_pick(rng, CHANNEL_WEIGHTS),
            priority=_pick(rng, PRIORITY_WEIGHTS), type=scenario.type,
            category=Category.objects.get(name=scenario.category), tags=scenario.tags, team=team,
            attachments=_attachments_for(rng, scenario),
            custom_fields={
                "plan": rng.choice(["Starter", "Team", "Enterprise"]),
                "seats": rng.randint(3, 400),
            },
        )  # fmt: skip
    if target_status == "new":
        return
    moment += timedelta(minutes=rng.randint(10, 600))
    with clock.frozen(min(now, moment)):
        actions.update_ticket(ticket=ticket, acting_user=agent, assignee=agent)
        if rng.random() < 0.35:
            note_author = rng.choice(list(agents.values()))
            actions.add_note(ticket=ticket, acting_user=note_author, body=rng.choice(NOTES))
    if target_status == "open" and rng.random() < 0.5:
        return
    moment += timedelta(minutes=rng.randint(5, 240))
    pending = Status.objects.get(slug="pending")
    with clock.frozen(min(now, moment)):
        actions.reply(
            ticket=ticket,
            acting_user=agent,
            body=scenario.agent_reply.format(**fill),
            status=pending,
        )
    if target_status == "pending":
        return
    moment += timedelta(hours=rng.randint(1, 30))
    with clock.frozen(min(now, moment)):
        actions.reply(
            ticket=ticket, author_contact=requester, body=scenario.follow_up, channel=ticket.channel
        )
    moment += timedelta(minutes=rng.randint(5, 300))
    with clock.frozen(min(now, moment)):
        actions.update_ticket(
            ticket=ticket, acting_user=agent, status=Status.objects.get(slug=target_status)
        )
    # What the hourly auto-close job would have done since (older solved tickets close).
    closing_time = moment + timedelta(days=settings.HELPLINE_AUTOCLOSE_DAYS, hours=1)
    if target_status == "solved" and closing_time < now:
        with clock.frozen(closing_time):
            actions.close_solved_tickets()


def _mailbox() -> None:
    """The demo's support address: active and the default, so every agent reply has a
    route and `helpline mail smtpd` accepts mail for it. `helpline demo` keeps outgoing
    mail inside Helpline (HELPLINE_MAIL_DELIVERY=keep): see the Outgoing mail page."""
    from helpline.mail.models import Mailbox

    Mailbox.objects.create(
        address=DEMO_MAILBOX, display_name="Demo Support", transport=Mailbox.Transport.SMTP,
        is_default=True, footer_text="Demo Software Ltd · a Helpline demo",
    )  # fmt: skip


def _email_threads(contacts: list[Contact]) -> None:
    """A few conversations that came in by email, through the real mail pipeline, so
    the demo shows why each message joined its ticket and the full original."""
    from helpline.mail import actions as mail
    from helpline.mail.models import Mailbox

    mailbox = Mailbox.objects.get(address=DEMO_MAILBOX)
    customer, colleague = contacts[0], contacts[1]
    subject = "CSV export drops accented letters"
    messages = [
        _demo_mail(
            customer, subject, "<demo-1@mail.example>", None,
            "Hello,\n\nWhen I export contacts to CSV, names like Zoë and José come out as "
            "Zo? and Jos?. Excel and LibreOffice both show it.\n\nThanks,\n" + customer.name,
        ),
        _demo_mail(
            customer, f"Re: {subject}", "<demo-2@mail.example>", "<demo-1@mail.example>",
            "It also happens with the PDF export, in case that helps.\n\n"
            f"On Monday, {customer.name} wrote:\n> When I export contacts to CSV, names like "
            "Zoë and José come out as\n> Zo? and Jos?. Excel and LibreOffice both show it.",
        ),
    ]  # fmt: skip
    for raw in messages:
        stored = mail.receive(raw=raw, via="import", mailbox=mailbox, queue_processing=False)
        mail.process(inbound_id=stored.inbound.pk)
    number = Ticket.objects.get(subject=subject).number
    # Someone else cites the ticket's number: a new ticket, linked, with the reason.
    stranger = _demo_mail(
        colleague, f"Re: {subject} [#{number}]", "<demo-3@mail.example>", None,
        "We see the same thing on our account. Is there a fix yet?",
    )  # fmt: skip
    stored = mail.receive(raw=stranger, via="import", mailbox=mailbox, queue_processing=False)
    mail.process(inbound_id=stored.inbound.pk)


def _demo_mail(
    sender: Contact, subject: str, message_id: str, in_reply_to: str | None, body: str
) -> bytes:
    mail = EmailMessage()
    mail["From"] = formataddr((sender.name, sender.primary_email))
    mail["To"] = f"Support <{DEMO_MAILBOX}>"
    mail["Subject"] = subject
    mail["Date"] = format_datetime(clock.now())
    mail["Message-ID"] = message_id
    if in_reply_to:
        mail["In-Reply-To"] = mail["References"] = in_reply_to
    mail.set_content(body)
    return bytes(mail)


def seed(ticket_count: int = 300, seed_value: int = 20261123) -> str:
    rng = random.Random(seed_value)
    now = timezone.now()
    with transaction.atomic():
        _setup_catalogue()
        _mailbox()
        with clock.frozen(now - timedelta(days=91)):
            agents, contacts = _people(rng)
        for index in range(ticket_count):
            # Older tickets first; the last days hold the unresolved ones, as in a real queue.
            age = timedelta(days=90) * (1 - index / ticket_count) ** 1.3
            start = now - age - timedelta(minutes=rng.randint(20, 900))
            if index < ticket_count * 0.7:
                start = min(start, now - timedelta(days=5))
            _one_ticket(rng, agents, contacts, start, now)
        with clock.frozen(now - timedelta(hours=3)):
            _email_threads(contacts)
    tickets = Ticket.objects.count()
    return (
        f"{len(AGENTS)} agents, {len(contacts)} customers in "
        f"{len(ORGANISATIONS)} organisations, {tickets} tickets"
    )
