"""Wangge (网格): grid-based community governance."""

__version__ = "0.1.0"
