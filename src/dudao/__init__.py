"""Dudao (督导): software for a county's urban-rural environment remediation campaign."""

__version__ = "0.1.0"
