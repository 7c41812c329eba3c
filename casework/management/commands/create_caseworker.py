"""Create a staff account ready for the admin: role, team, authenticator app and backup codes.

The authenticator secret (as an otpauth:// URI and a terminal QR code) and the backup codes are
printed once, to stdout only; nothing of them is logged.
"""

from __future__ import annotations

import getpass
import io
from pathlib import Path
from typing import Any

import segno
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from casework.exceptions import CaseworkError
from casework.roles import Role
from casework.services.staff import staff_create

BACKUP_CODES = 10
ROLES = {"caseworker": Role.CASEWORKER, "coordinator": Role.COORDINATOR}


class Command(BaseCommand):
    help = "Create a staff user with a role, a team, a TOTP device and backup codes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--team", required=True, help="Team name (created if missing).")
        parser.add_argument("--role", required=True, choices=sorted(ROLES))
        parser.add_argument("--superuser", action="store_true")
        parser.add_argument(
            "--password-file",
            type=Path,
            help="Read the password from this file instead of prompting (first line).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        username: str = options["username"]
        if User.objects.filter(username=username).exists():
            raise CommandError(f"User {username!r} already exists.")
        password = self._password(options["password_file"])
        try:
            validate_password(password, user=User(username=username, email=options["email"]))
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error

        try:
            # The same audited service an administrator's invitation uses for its record.
            made = staff_create(
                username=username,
                email=options["email"],
                password=password,
                role=ROLES[options["role"]],
                team_name=options["team"],
                superuser=options["superuser"],
            )
        except CaseworkError as error:
            raise CommandError(error.message) from error
        if made.team_created:
            self.stdout.write(f"Created team {options['team']!r}.")
        self.stdout.write(f"Created {options['role']} {username!r}.")
        self.stdout.write("Scan this with an authenticator app, or enter the URI by hand:")
        self.stdout.write(made.authenticator_uri)
        self.stdout.write(self._qr(made.authenticator_uri))
        self.stdout.write("Backup codes (each works once; shown only now):")
        for code in made.backup_codes:
            self.stdout.write(f"  {code}")

    def _password(self, password_file: Path | None) -> str:
        if password_file is not None:
            lines = password_file.read_text(encoding="utf-8").splitlines()
            if not lines or not lines[0]:
                raise CommandError("The password file is empty.")
            return lines[0]
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The passwords do not match.")
        return password

    @staticmethod
    def _qr(data: str) -> str:
        # segno also draws the admin's enrolment QR code (casework/admin/enrolment.py).
        buffer = io.StringIO()
        segno.make(data, error="m").terminal(out=buffer, compact=True, border=2)
        return buffer.getvalue()
