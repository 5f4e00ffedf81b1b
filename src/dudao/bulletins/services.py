"""The weekly bulletin (通报): made when a round is published, and again on demand."""


def bulletin_on_publish(round_) -> None:
    """Called inside the transaction that publishes the round: queue the bulletin's making."""
