from .extract import Stance, extract_stances  # noqa: F401
