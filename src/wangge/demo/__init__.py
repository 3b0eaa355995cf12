"""The demo district: 郑州市中原区, generated deterministically from a seed."""
