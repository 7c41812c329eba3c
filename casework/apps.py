"""The single Django app holding the whole domain."""

from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "casework"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Casework"

    def ready(self) -> None:
        from casework import receivers  # noqa: F401  (connects the sign-in audit receivers)
        from casework.admin.wording import boolean_icon_install

        boolean_icon_install()
