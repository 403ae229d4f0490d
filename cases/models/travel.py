"""Travel models of the cases app."""

__all__: list[str] = []
