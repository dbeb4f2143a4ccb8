"""coder: rigorous, fast qualitative coding of interview transcripts.

The public API is small on purpose::

    from coder import Project, load_codebook
    project = Project.open("my-study")
    project.codings_frame()

See ``docs/api.md`` for the whole surface.
"""

from .codebook import Code, Codebook, load_codebook, parse_codebook
from .errors import CoderError
from .ingest import read_transcript
from .project import Project

__all__ = ["Project", "Codebook", "Code", "load_codebook", "parse_codebook", "read_transcript", "CoderError"]
__version__ = "0.1.0"
