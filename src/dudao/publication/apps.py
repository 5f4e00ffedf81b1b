from django.apps import AppConfig


class PublicationConfig(AppConfig):
    """The weekly round's consequences and announcements: publishing it (interviews, the bulletin, the notices) in
    one act, and reminding townships of its deadline. The round itself knows none of them."""

    name = "dudao.publication"
    label = "publication"

    def ready(self) -> None:
        from dudao.publication import notices  # noqa: F401  (registers the weekly round's notification kinds)
