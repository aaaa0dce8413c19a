"""lerassist: cited answers about the LER Ecosystem Map, offline."""

from .models import Answer, Citation, Passage
from .settings import Settings

__all__ = ["Answer", "Citation", "Passage", "Settings"]
